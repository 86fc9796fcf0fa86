#!/usr/bin/env bash
# Black-box tests of the learner's workflow: luasync learn init, list, show,
# check, run, hint, reset, and the progress file (persistence, atomic writes),
# on the fixture lessons in tests/fixtures/lessons.
source "$(dirname "$0")/lib.bash"
FIX="$(cd "$(dirname "$0")/../fixtures/lessons" && pwd)"
export LUASYNC_LESSONS="$FIX"
WS="$TMP/ws"
learn() { run learn -C "$WS" "$@"; }

case_ "help"
run learn --help
expect_rc 0; expect_out 'usage: luasync learn'; expect_out 'hint EXERCISE'

case_ "outside a workspace"
run learn -C "$TMP" check kitchen
expect_rc 2; expect_err 'not in a learn workspace'; expect_err 'luasync learn init'

case_ "init makes the workspace"
run learn init "$WS"
expect_rc 0; expect_out 'Made .*ws: 2 lessons with 5 exercises'
[ -f "$WS/exercises/01-waiting/kitchen.lua" ] && ok || fail "no starter file"
[ -f "$WS/exercises/02-tasks/greet.lua" ] && ok || fail "no starter file"
[ -f "$WS/README.md" ] && ok || fail "no README"
grep -q '^current kitchen$' "$WS/.luasync-progress" && ok || fail "progress: $(cat "$WS/.luasync-progress")"
cmp -s "$WS/exercises/01-waiting/kitchen.lua" "$FIX/01-waiting/exercises/kitchen.lua" && ok || fail "starter differs"
[ -e "$WS/exercises/01-waiting/solutions" ] || [ -e "$WS/solutions" ] && fail "solutions copied" || ok

case_ "init again keeps the learner's work"
echo "-- mine" >> "$WS/exercises/01-waiting/kitchen.lua"
run learn init "$WS"
expect_rc 0; expect_out 'Updated'
grep -q -- '-- mine' "$WS/exercises/01-waiting/kitchen.lua" && ok || fail "work lost"

case_ "list"
learn list
expect_rc 0; expect_out '01-waiting  Waiting'; expect_out 'kitchen .*Boil water while you chop.*\(current\)'
expect_out 'Progress \[-+\] 0/5'

case_ "show renders the lesson (plain when not a terminal)"
learn show 1
expect_rc 0; expect_out '^Waiting$'; expect_out '^=+$'; expect_out '^    local boil = async\(function\(\)'
expect_out 'exercises/01-waiting/kitchen.lua'
expect_out 'The programs of this lesson are in examples/01-waiting/ of your workspace: run the commands above from there \(`cd examples/01-waiting`\)'
[ -f "$WS/examples/01-waiting/breakfast.lua" ] && ok || fail "the example is not where show says"
grep -q $'\x1b' <<<"$out" && fail "escape codes in piped output" || ok
learn show waiting; expect_rc 0; expect_out '^Waiting$'
learn show 02-tasks; expect_rc 0; expect_out '^Tasks$'
learn show nope; expect_rc 1; expect_err "no lesson 'nope'"

case_ "show with colors highlights Lua"
LUASYNC_COLOR=1 run learn -C "$WS" show 1
expect_rc 0
grep -q $'\x1b\\[1;35mlocal' <<<"$out" && ok || fail "no keyword highlighting"

case_ "check the current exercise: fails kindly"
learn check
expect_rc 1
expect_out '^FAIL kitchen: 1 of 2 checks failed \(exercises/01-waiting/kitchen.lua\)'
expect_out '^  ok   cook returns water and vegetables'
expect_out '^  FAIL boiling and chopping overlap'
expect_out 'expected it to finish at 3.0 virtual seconds, but it finished at 5.0. 5.0 s is 3 \+ 2'
expect_out 'luasync learn hint kitchen'

case_ "a failure points at the learner's line"
cat > "$WS/exercises/01-waiting/kitchen.lua" <<'LUA'
local boil = async(function() await(asyncio.sleep(3)); return "water" end)
local cook = async(function()
  local x = nil
  return x.field
end)
return { cook = cook }
LUA
learn check kitchen
expect_rc 1
expect_out 'your code raised an error: exercises/01-waiting/kitchen.lua:4: attempt to index a nil value'
expect_out '^      at exercises/01-waiting/kitchen.lua:4$'

case_ "unknown exercise"
learn check kitchn
expect_rc 2; expect_err "no exercise 'kitchn'"

case_ "check passes: progress records it and moves on"
cp "$FIX/01-waiting/solutions/kitchen.lua" "$WS/exercises/01-waiting/kitchen.lua"
learn check
expect_rc 0; expect_out '^PASS kitchen: all 2 checks pass'; expect_out 'Next: spawn'
grep -q '^done kitchen$' "$WS/.luasync-progress" && ok || fail "not recorded"
grep -q '^current spawn$' "$WS/.luasync-progress" && ok || fail "current not moved"

case_ "check --all"
learn check --all
expect_rc 1
expect_out '^PASS kitchen'; expect_out '^FAIL spawn .*expected 3, got 0'
expect_out '^FAIL nap .*time.sleep\(2\) at line 3 blocks'
expect_out "^FAIL forget .*the coroutine 'note' made at line 9 was never awaited"
expect_out '^FAIL greet'
expect_out '1 of 5 exercises pass'

case_ "hints escalate and are remembered"
learn hint kitchen
expect_rc 0; expect_out 'Hint 1 of 3 for kitchen'; expect_out 'waits on something other than you'
learn hint kitchen
expect_out 'Hint 2 of 3'; expect_out 'asyncio.gather'
learn hint kitchen
expect_out 'Hint 3 of 3'
learn hint kitchen
expect_out 'Hint 3 of 3'; expect_out 'That was the last hint'
grep -q '^hints kitchen 3$' "$WS/.luasync-progress" && ok || fail "hints not saved"
learn hint
expect_out 'Hint 1 of 2 for spawn'

case_ "run shows output, results and the virtual time"
cp "$FIX/02-tasks/solutions/greet.lua" "$WS/exercises/02-tasks/greet.lua"
learn run greet
expect_rc 0; expect_out '^hello, world!$'; expect_out 'finished at 1.0 virtual seconds'
learn run spawn
expect_rc 0; expect_out 'finished at 6.0 virtual seconds, 0 tasks created; returned 60'
cat > "$WS/exercises/02-tasks/greet.lua" <<'LUA'
print("before")
error("boom")
LUA
learn run greet
expect_rc 1; expect_out '^before$'; expect_out 'greet.lua:2: boom'

case_ "reset restores the starter and keeps a backup"
learn reset kitchen
expect_rc 0; expect_out 'exercises/01-waiting/kitchen.lua is the starter file again'
expect_out 'Your version is kept in \.luasync-backup/kitchen/[0-9]{8}-[0-9]{6}\.lua'
cmp -s "$WS/exercises/01-waiting/kitchen.lua" "$FIX/01-waiting/exercises/kitchen.lua" && ok || fail "not reset"
cmp -s "$WS/.luasync-backup/kitchen/"*.lua "$FIX/01-waiting/solutions/kitchen.lua" && ok || fail "no backup"
grep -q '^done kitchen$' "$WS/.luasync-progress" && fail "still done" || ok

case_ "a deleted exercise file"
rm "$WS/exercises/02-tasks/nap.lua"
learn check nap
expect_rc 1; expect_out 'exercises/02-tasks/nap.lua does not exist'; expect_out 'luasync learn reset nap'
learn reset nap
expect_rc 0
[ -f "$WS/exercises/02-tasks/nap.lua" ] && ok || fail "not restored"

case_ "progress persists, unknown lines are ignored"
printf 'luasync-progress 1\ncurrent forget\ndone kitchen\nsomething from a newer version\nhints nap 1\n' > "$WS/.luasync-progress"
learn list
expect_rc 0; expect_out 'forget .*\(current\)'; expect_out '1/5'
learn hint nap
expect_out 'Hint 1 of 1'; expect_out 'last hint'

case_ "the progress file is replaced atomically"
# Writers are killed at random moments while a reader keeps reading: every
# read sees a whole file (the header and the current line), never a part.
for i in $(seq 1 40); do
  ( "$LUASYNC" learn -C "$WS" hint spawn >/dev/null 2>&1 & pid=$!; sleep 0.0$((RANDOM % 9)); kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null ) &
  "$LUASYNC" learn -C "$WS" hint kitchen >/dev/null 2>&1 &
  for r in 1 2 3 4 5; do
    content=$(cat "$WS/.luasync-progress")
    head=$(head -1 <<<"$content")
    [ "$head" = "luasync-progress 1" ] || { fail "torn read: [$content]"; break 2; }
    grep -q '^current forget$' <<<"$content" || { fail "lost a line: [$content]"; break 2; }
  done
done
wait
ok
learn list
expect_rc 0; expect_out 'forget .*\(current\)'

finish
