#!/usr/bin/env bash
# The lesson sandbox against hostile learner code: each file under
# tests/fixtures/sandbox/hostile/ must end as a failed check with the reason
# its `-- expect:` line gives, quickly, and the engine must go on with the
# next check in a fresh sandbox (the second check reports, never "not run").
source "$(dirname "$0")/lib.bash"
expect_no_out() { grep -qE -- "$1" <<<"$out" && fail "stdout matches /$1/" || ok; }
FIX="$(cd "$(dirname "$0")/../fixtures/sandbox" && pwd)"
PWNED=/tmp/luasync-sandbox-pwned
rm -f "$PWNED"
# Generous for loaded machines and sanitizer builds (a deep recursion took
# 33 s at a load of 18 on 2 cores); a hang would be far longer.
MAX_SECONDS=${LEARN_SANDBOX_MAX_SECONDS:-60}

# A generous --time-limit (CPU seconds): the fixtures expect the limit they
# aim at, which comes long before 30 s of CPU. Its real-time backstop
# (3 * 30 + 5 s per check) is past MAX_SECONDS, which still catches a hang.
check_file() {  # check_file EXERCISE FILE
  local start end
  start=$(date +%s%N)
  run learn check "$1" --lessons "$FIX/lessons" --file "$2" --time-limit 30
  end=$(date +%s%N)
  elapsed_ms=$(( (end - start) / 1000000 ))
}

for f in "$FIX"/hostile/*.lua; do
  name=$(basename "$f" .lua)
  case $name in
    fsbox_*) ex=fsbox ;;
    procbox_*) ex=procbox ;;
    *) ex=target ;;
  esac
  case_ "hostile: $name"
  expect=$(grep -m1 '^-- expect: ' "$f" | sed 's/^-- expect: //')
  [ -n "$expect" ] || expect='returns nothing'  # empty.lua has no comment
  [ "$name" = not_utf8 ] && expect='is not valid UTF-8 text \(byte 0xFF on line 1\)'
  check_file "$ex" "$f"
  expect_rc 1
  expect_out "$expect"
  expect_out "^FAIL $ex"
  expect_no_err '.'   # nothing on stderr: the engine itself never fails
  [ "$name" = not_utf8 ] || expect_out '(second check still runs|^  ok )'
  if [ "$elapsed_ms" -lt $((MAX_SECONDS * 1000)) ]; then ok; else fail "took ${elapsed_ms} ms"; fi
  grep -q 'not run' <<<"$out" && fail "a check was not run" || ok
done

case_ "nothing escaped the sandbox"
[ -e "$PWNED" ] && fail "$PWNED exists" || ok
[ -e /tmp/escaped.txt ] && fail "/tmp/escaped.txt exists" || ok

case_ "to_thread: one thread of thread_shared_budget's work passes (so the two fail on the shared budget)"
sed 's/asyncio.gather(asyncio.to_thread(work), asyncio.to_thread(work))/asyncio.to_thread(work)/' \
  "$FIX/hostile/thread_shared_budget.lua" > "$TMP/one_thread.lua"
grep -q 'await(asyncio.to_thread(work))' "$TMP/one_thread.lua" || fail "sed did not make the one-thread variant"
check_file target "$TMP/one_thread.lua"
expect_rc 0; expect_out "^PASS target: all 2 checks pass"

case_ "the reference solutions pass"
for ex in target fsbox procbox; do
  run learn check "$ex" --lessons "$FIX/lessons" --file "$FIX/lessons/01-target/solutions/$ex.lua"
  expect_rc 0; expect_out "^PASS $ex: all 2 checks pass"
done

case_ "a symbolic link to another file"
ln -s /etc/passwd "$TMP/link.lua"
run learn check target --lessons "$FIX/lessons" --file "$TMP/link.lua"
expect_rc 1; expect_out 'link.lua is a symbolic link'; expect_no_out 'root:'

case_ "a missing file"
run learn check target --lessons "$FIX/lessons" --file "$TMP/nope.lua"
expect_rc 1; expect_out 'nope.lua does not exist'

case_ "a hostile file among good ones: --all style parallel runs"
mkdir -p "$TMP/ws"
run learn init "$TMP/ws" --lessons "$FIX/lessons"
expect_rc 0
cp "$FIX/hostile/busy_loop.lua" "$TMP/ws/exercises/01-target/target.lua"
cp "$FIX/lessons/01-target/solutions/fsbox.lua" "$TMP/ws/exercises/01-target/fsbox.lua"
cp "$FIX/lessons/01-target/solutions/procbox.lua" "$TMP/ws/exercises/01-target/procbox.lua"
run learn -C "$TMP/ws" check --all --lessons "$FIX/lessons" --time-limit 30
expect_rc 1
expect_out '^FAIL target .*million Lua instructions'
expect_out '^PASS fsbox'
expect_out '^PASS procbox'
expect_out '2 of 3 exercises pass'

case_ "a check starved of CPU on a busy machine is judged by its CPU time"
# The file computes 0.3 s of CPU time at load (os.clock), in each of its two
# checks, under --time-limit 1, on one CPU shared with three busy loops: each
# check takes well over 1 s of real time, and still passes (the real-time
# backstop is 3 * 1 + 5 s).
if command -v taskset >/dev/null && taskset -c 0 true 2>/dev/null; then
  cat > "$TMP/compute.lua" <<'EOF'
local c = os.clock()
while os.clock() - c < 0.3 do end
local main = async(function() await(asyncio.sleep(1)); return 42 end)
return { main = main }
EOF
  hogs=()
  for _ in 1 2 3; do
    taskset -c 0 sh -c 'while :; do :; done' &
    hogs+=($!)
  done
  start=$(date +%s%N)
  out=$(taskset -c 0 "$LUASYNC" learn check target --lessons "$FIX/lessons" --file "$TMP/compute.lua" --time-limit 1 2>&1) \
    && rc=0 || rc=$?
  elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
  kill "${hogs[@]}"
  wait "${hogs[@]}" 2>/dev/null || true
  expect_rc 0
  expect_out '^PASS target'
  # The proof that the checks were starved: together they took more real
  # time than twice the limit.
  [ "$elapsed_ms" -gt 2000 ] && ok || fail "only ${elapsed_ms} ms: the checks were not starved"
else
  echo "(taskset is missing: the starved-check case is skipped)"
fi

finish
