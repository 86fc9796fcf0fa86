#!/usr/bin/env bash
# The allocation-failure test (issue 11): alloc_fail_workload.lua (tasks,
# timers, gather, TaskGroup, a queue, JSON, fs, a subprocess) runs with its
# Nth allocation failing (LUASYNC_TEST_FAIL_ALLOC=N, interpreter.cpp), for N
# over the whole run: every N up to 60, then evenly spaced samples (about
# ALLOC_FAIL_SAMPLES runs in all, 120 by default: a minute under ASan).
# Each run: no crash, exit status 0, no sanitizer report (the ASan build
# runs this too: a leak fails it), the failure surfaces as a clear
# "not enough memory" (raised to the script, or reported by the runtime for
# a callback), and the state works afterwards (a second asyncio.run). A
# failure in the script's few lines around the workload ends it with the
# interpreter's "luasync: not enough memory" (status 1).
source "$(dirname "$0")/lib.bash"
WORKLOAD="$(cd "$(dirname "$0")" && pwd)/alloc_fail_workload.lua"
SAMPLES=${ALLOC_FAIL_SAMPLES:-120}

runw() {  # runw N: sets rc, out, err
  out=$(cd "$TMP" && LUASYNC_TEST_FAIL_ALLOC=$1 "$LUASYNC" "$WORKLOAD" 2>"$TMP/stderr" </dev/null) && rc=0 || rc=$?
  err=$(cat "$TMP/stderr")
}

case_ "the workload passes and counts its allocations"
runw count
expect_rc 0
expect_out '^workload: ok$'
total=$(sed -n 's/^luasync: \([0-9]*\) allocations$/\1/p' <<<"$err")
[[ "$total" =~ ^[0-9]+$ ]] && [ "$total" -gt 100 ] && ok || fail "no allocation count (got '$total')"
total=${total:-0}

dense=60
points=$(seq 1 $((dense < total ? dense : total)))
if [ "$total" -gt "$dense" ] && [ "$SAMPLES" -gt "$dense" ]; then
  step=$(( (total - dense) / (SAMPLES - dense) + 1 ))
  points="$points $(seq $((dense + step)) "$step" $((total + 2)))"
fi

runs=0 oom=0 outside=0
for n in $points; do
  current="allocation $n of $total fails"
  runw "$n"
  runs=$((runs + 1))
  bad=""
  if [ "$rc" -eq 1 ] && grep -qx 'luasync: not enough memory' <<<"$err" && ! grep -q '^workload: error' <<<"$out"; then
    # The failure hit the script's own lines around the workload (the
    # first and last few allocations): the interpreter's clear error.
    outside=$((outside + 1))
  else
    [ "$rc" -eq 0 ] || bad="exit status $rc"
    grep -qx 'after: ok' <<<"$out" || bad="${bad:-the state does not work afterwards}"
  fi
  grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:|PANIC' <<<"$err" && bad="a sanitizer report or a panic"
  if grep -q '^workload: error: ' <<<"$out"; then
    oom=$((oom + 1))
    grep -q 'not enough memory' <<<"$out$err" || bad="${bad:-the error is not 'not enough memory'}"
  elif [ "$rc" -eq 0 ] && ! grep -qx 'workload: ok' <<<"$out"; then
    bad="${bad:-the workload neither finished nor raised}"
  fi
  if [ -n "$bad" ]; then fail "$bad"; else ok; fi
done
echo "$runs runs over $total allocations: $oom raised 'not enough memory' to the script, $outside outside the workload"
# Most failures must reach the script as errors: the hook is really failing.
[ "$oom" -gt $((runs / 2)) ] && ok || { current="the failures are real"; fail "only $oom of $runs runs raised"; }

finish
