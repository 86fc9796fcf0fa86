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
# one CPU shared with a busy loop (1.5% to 10% of that CPU) under a CPU time
# limit it stays well inside: its real time passes the 3 T + 5 s backstop, yet the check is
# judged by what it did (the quota error, as in the class's report), not
# stopped as a timeout: the backstops move by the time spent waiting for a
# CPU (sandbox.h, kMaxStarvedBackstops).
if command -v taskset >/dev/null && taskset -c 0 true 2>/dev/null; then
  # How starved: the check's CPU time alone (a sanitizer build needs about
  # ten times the plain one's) sets its time limit and its niceness.
  TIMEFORMAT='%3U %3S'
  cpu=$( { time (cd "$TMP" && TMPDIR="$WORK" taskset -c 0 "$LUASYNC" learn check notes --lessons "$LESSONS" \
          --file "$CLASS/fs-quota/notes.lua" --time-limit 30 >/dev/null 2>&1); } 2>&1 | awk '{ print int(($1 + $2) * 1000) }')
  # The time limit leaves the check ample CPU (a sanitizer build's check
  # alone takes about a second); its backstop is 3 T + 5 s. The niceness gives
  # the check about half of cpu/backstop of the CPU (weights 1024 for the busy
  # loop's nice 0 against 110, 70, 36, 23 and 15 for nice 10, 12, 15, 17, 19),
  # so starved it runs about twice its backstop: past it, well inside the cap.
  # Below nice 19's share, the idle scheduling class (weight 3) starves it.
  if [ "$cpu" -lt 400 ]; then limit=1; else limit=$(( cpu * 4 / 1000 + 1 )); fi
  backstop_ms=$(( (3 * limit + 5) * 1000 ))
  niceness=$(awk -v c="$cpu" -v b="$backstop_ms" 'BEGIN {
    want = c / (2 * b); n = "idle"
    split("10 110 12 70 15 36 17 23 19 15", w, " ")
    for (i = 1; i <= 9; i += 2) { share = w[i + 1] / (1024 + w[i + 1]); if (share <= want) { n = w[i]; break } }
    print n }')
  echo "(the check alone: ${cpu} ms of CPU; --time-limit $limit, backstop ${backstop_ms} ms, starved at nice $niceness)"
  taskset -c 0 sh -c 'while :; do :; done' &
  hog=$!
  start=$(date +%s%N)
  if [ "$niceness" = idle ]; then starve=(chrt --idle 0); else starve=(nice -n "$niceness"); fi
  out=$(cd "$TMP" && TMPDIR="$WORK" "${starve[@]}" taskset -c 0 "$LUASYNC" learn check notes --lessons "$LESSONS" \
          --file "$CLASS/fs-quota/notes.lua" --time-limit "$limit" 2>&1) && rc=0 || rc=$?
  elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
  kill "$hog"
  wait "$hog" 2>/dev/null || true
  expect_rc 1
  expect_out 'fs quota: an exercise may write at most 64 MB in WORKDIR'
  grep -q 'stopped: this check took' <<<"$out" && fail "stopped as a timeout: $out" || ok
  # The proof that the check was starved past its backstop.
  [ "$elapsed_ms" -gt "$backstop_ms" ] && ok || fail "only ${elapsed_ms} ms: the check was not starved past its ${backstop_ms} ms backstop"
  echo "(starved fs-quota check: ${elapsed_ms} ms)"
  check_clean starved
else
  echo "(taskset is missing: the starved-check case is skipped)"
fi

finish
