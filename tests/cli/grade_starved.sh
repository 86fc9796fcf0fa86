#!/usr/bin/env bash
# A check's result does not depend on the machine's load (issue 12's
# grading trial: the fs-quota submission got "took more than 5 s of real
# time" in one run and its quota error in the other). Its time limit is CPU
# time; the real-time backstop moves later by the time the check waited for
# a CPU (sandbox.h, kMaxStarvedBackstops).
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/hostile_class.bash"
trap 'class_teardown; rm -rf "$TMP"' EXIT
out="" err=""
class_setup

case_ "a check starved of CPU past its real-time backstop: the same result (fs quota)"
# The fs-quota file (a few tenths of a second of CPU) checked at a high niceness (below) on
# one CPU shared with a busy loop (1.5% to 10% of that CPU) under
# --time-limit 1: its real time passes the 8 s backstop, yet the check is
# judged by what it did (the quota error, as in the class's report), not
# stopped as a timeout: the backstops move by the time spent waiting for a
# CPU (sandbox.h, kMaxStarvedBackstops).
if command -v taskset >/dev/null && taskset -c 0 true 2>/dev/null; then
  # How starved: the check's CPU time alone (a sanitizer build needs ten
  # times the plain one's) sets the niceness, so that starved it takes some
  # 15 to 60 s of real time: past the 8 s backstop, well inside the cap.
  TIMEFORMAT='%3U %3S'
  cpu=$( { time (cd "$TMP" && TMPDIR="$WORK" taskset -c 0 "$LUASYNC" learn check notes --lessons "$LESSONS" \
          --file "$CLASS/fs-quota/notes.lua" --time-limit 1 >/dev/null 2>&1); } 2>&1 | awk '{ print int(($1 + $2) * 1000) }')
  if [ "$cpu" -lt 400 ]; then niceness=19; elif [ "$cpu" -lt 1500 ]; then niceness=15; else niceness=10; fi
  echo "(the check alone: ${cpu} ms of CPU; starved at nice $niceness)"
  taskset -c 0 sh -c 'while :; do :; done' &
  hog=$!
  start=$(date +%s%N)
  out=$(cd "$TMP" && TMPDIR="$WORK" nice -n "$niceness" taskset -c 0 "$LUASYNC" learn check notes --lessons "$LESSONS" \
          --file "$CLASS/fs-quota/notes.lua" --time-limit 1 2>&1) && rc=0 || rc=$?
  elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
  kill "$hog"
  wait "$hog" 2>/dev/null || true
  expect_rc 1
  expect_out 'fs quota: an exercise may write at most 64 MB in WORKDIR'
  grep -q 'stopped: this check took' <<<"$out" && fail "stopped as a timeout: $out" || ok
  # The proof that the check was starved past its backstop.
  [ "$elapsed_ms" -gt 8000 ] && ok || fail "only ${elapsed_ms} ms: the check was not starved past its backstop"
  echo "(starved fs-quota check: ${elapsed_ms} ms)"
  check_clean starved
else
  echo "(taskset is missing: the starved-check case is skipped)"
fi

finish
