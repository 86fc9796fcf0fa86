#!/usr/bin/env bash
# Progress is never lost: two luasync processes write the progress file at
# the same time (hints and checks) and every record survives; reset keeps
# every earlier version and restore brings one back; watch mode without a
# terminal on stdin reads commands by line instead of aborting.
source "$(dirname "$0")/lib.bash"
LESSONS="$(cd "$(dirname "$0")/../../lessons" && pwd)"
WS="$TMP/ws"
learn() { run learn -C "$WS" "$@"; }

"$LUASYNC" learn init "$WS" >/dev/null || { echo "init failed"; exit 1; }
names=$("$LUASYNC" learn -C "$WS" list | sed -nE 's/^   . ([a-z_0-9]+) .*/\1/p')
count=$(wc -w <<<"$names")

case_ "two writers at once: every hint count and every done record survives"
[ "$count" -ge 20 ] && ok || fail "only $count exercises listed"
half=$(( count / 2 ))
first=$(head -n "$half" <<<"$names"); second=$(tail -n +"$(( half + 1 ))" <<<"$names")
# Writer A asks for every hint of the first half, writer B of the second
# half, while B also checks two solved exercises: each command re-reads and
# merges under the lock, so nothing one writes is lost to the other.
cp "$LESSONS/01-why-async/solutions/kitchen.lua" "$WS/exercises/01-why-async/kitchen.lua"
cp "$LESSONS/03-await-and-run/solutions/forecast.lua" "$WS/exercises/03-await-and-run/forecast.lua"
writer() {
  for round in 1 2 3; do
    for n in $1; do "$LUASYNC" learn -C "$WS" hint "$n" >/dev/null || echo "hint $n failed" >>"$TMP/errors"; done
    [ -n "$2" ] && { "$LUASYNC" learn -C "$WS" check "$2" >/dev/null 2>>"$TMP/errors"; [ $? -le 1 ] || echo "check failed" >>"$TMP/errors"; }
  done
}
writer "$first" "" & a=$!
writer "$second" kitchen & b=$!
"$LUASYNC" learn -C "$WS" check forecast >/dev/null 2>>"$TMP/errors"
wait $a $b
[ ! -s "$TMP/errors" ] && ok || fail "errors: $(cat "$TMP/errors")"
lost=""
for n in $names; do
  want=$("$LUASYNC" learn -C "$WS" hint "$n" 2>/dev/null | sed -nE 's/^Hint [0-9]+ of ([0-9]+).*/\1/p')
  grep -qx "hints $n $want" "$WS/.luasync-progress" || lost="$lost $n"
done
[ -z "$lost" ] && ok || { out=$(cat "$WS/.luasync-progress"); fail "hint counts lost:$lost"; }
grep -qx 'done kitchen' "$WS/.luasync-progress" && grep -qx 'done forecast' "$WS/.luasync-progress" && ok \
  || { out=$(cat "$WS/.luasync-progress"); fail "done records lost"; }
[ -z "$(ls -A "$WS" | grep -E '\.tmp-')" ] && ok || fail "temporary files left: $(ls -A "$WS")"

case_ "lines of a newer luasync are kept"
echo "streak kitchen 3" >> "$WS/.luasync-progress"
learn hint spawn_later 2>/dev/null; learn hint classify
grep -qx 'streak kitchen 3' "$WS/.luasync-progress" && ok || fail "unknown line dropped"

case_ "reset twice keeps both earlier versions; restore brings one back"
f="$WS/exercises/01-why-async/three_fetches.lua"
echo "-- first try" >> "$f"
learn reset three_fetches
expect_rc 0; expect_out 'is the starter file again'; expect_out 'luasync learn restore three_fetches'
echo "-- second try" >> "$f"
learn reset three_fetches
expect_rc 0
[ "$(ls "$WS/.luasync-backup/three_fetches" | wc -l)" -eq 2 ] && ok || fail "backups: $(ls -R "$WS/.luasync-backup")"
learn restore three_fetches --list
expect_rc 0; expect_out '^  1  .*'; expect_out '^  2  .*'
learn restore three_fetches
expect_rc 0; tail -1 "$f" | grep -qx -- '-- second try' && ok || fail "newest not restored: $(tail -1 "$f")"
learn restore three_fetches 3
expect_rc 2; expect_err 'no version 3'
# restore kept what it replaced (the unchanged starter file is not kept),
# so the first try is now number 2 of 3.
learn restore three_fetches 2
expect_rc 0; tail -1 "$f" | grep -qx -- '-- first try' && ok || fail "first try not restored: $(tail -1 "$f")"
# What restore replaced (the second try) was kept too: nothing is ever lost.
grep -l -- '-- second try' "$WS/.luasync-backup/three_fetches/"* >/dev/null && ok || fail "replaced version not kept"
learn restore kitchen
expect_rc 1; expect_err 'no earlier version of kitchen'

case_ "watch mode with stdin from /dev/null: a clear message, one check, no crash"
out=$(cd "$WS" && "$LUASYNC" learn </dev/null 2>"$TMP/stderr") && rc=0 || rc=$?
err=$(cat "$TMP/stderr")
expect_rc 0; expect_err 'stdin is not a terminal'; expect_out 'Exercise [a-z_]+:'

case_ "watch mode with stdin closed"
out=$(cd "$WS" && "$LUASYNC" learn <&- 2>"$TMP/stderr") && rc=0 || rc=$?
err=$(cat "$TMP/stderr")
expect_rc 0; expect_err 'stdin is closed'; expect_out 'Exercise [a-z_]+:'

case_ "watch mode reads commands by line from a pipe"
out=$(cd "$WS" && printf 'l\n5\nh\nq\n' | "$LUASYNC" learn watch kitchen 2>"$TMP/stderr") && rc=0 || rc=$?
err=$(cat "$TMP/stderr")
expect_rc 0; expect_out 'Exercise kitchen:'; expect_out '> +2 x kitchen'
expect_out 'Exercise classify:'; expect_out 'Hint [0-9]+ of [0-9]+ for classify'
grep -qx 'current classify' "$WS/.luasync-progress" && ok || fail "current not saved"

finish
