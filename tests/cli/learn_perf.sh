#!/usr/bin/env bash
# `luasync learn check --all` over every reference solution of the built-in
# lessons: all pass, in under 2 s (issue 6). The time limit is not enforced
# for sanitizer builds, which are several times slower.
source "$(dirname "$0")/lib.bash"
LESSONS="$(cd "$(dirname "$0")/../../lessons" && pwd)"
WS="$TMP/ws"
LIMIT_MS=${LEARN_PERF_LIMIT_MS:-2000}

case_ "check --all over the reference solutions"
run learn init "$WS"
expect_rc 0
n=0
for sol in "$LESSONS"/*/solutions/*.lua; do
  lesson=$(basename "$(dirname "$(dirname "$sol")")")
  dest="$WS/exercises/$lesson/$(basename "$sol")"
  [ -d "$(dirname "$dest")" ] && cp "$sol" "$dest" && n=$((n + 1))
done
start=$(date +%s%N)
run learn -C "$WS" check --all
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
expect_rc 0
expect_out "^$n of $n exercises pass"
echo "check --all over $n reference solutions: ${elapsed_ms} ms (limit ${LIMIT_MS} ms)"
if ldd "$LUASYNC" 2>/dev/null | grep -q 'libasan'; then
  echo "(sanitizer build: time limit not enforced)"
  ok
elif [ "$elapsed_ms" -lt "$LIMIT_MS" ]; then
  ok
else
  fail "took ${elapsed_ms} ms"
fi

finish
