#!/usr/bin/env bash
# `luasync learn selfcheck`, the lesson authors' check: on the fixture
# lessons it passes; on broken copies it names each problem. (The built-in
# lessons have their own CTest entry, learn/selfcheck.)
source "$(dirname "$0")/lib.bash"
FIX="$(cd "$(dirname "$0")/../fixtures/lessons" && pwd)"

case_ "the fixture lessons are in order"
run learn selfcheck --lessons "$FIX"
expect_rc 0
expect_out '2 lessons, 5 exercises, 2 examples'
expect_out 'reference solutions checked in [0-9.]+ s'
expect_out 'wrong solutions caught: 15 of 15; other correct solutions: 5'
expect_out 'selfcheck: everything is in order'

case_ "every kind of problem is named"
B="$TMP/broken"
cp -r "$FIX" "$B"
cp "$B/01-waiting/solutions/kitchen.lua" "$B/01-waiting/exercises/kitchen.lua"      # passes as shipped, no TODO
printf 'return { main = async(function() return 0 end) }\n' > "$B/02-tasks/solutions/spawn.lua"  # wrong solution
sed -i 's/hints = { "Which sleep lets other tasks run while you wait?" },/hints = {},/' "$B/02-tasks/lesson.lua"
printf 'sequential: 5.0 s\nconcurrent: 2.0 s\n' > "$B/01-waiting/examples/breakfast.out"
rm "$B/02-tasks/examples/workers.out"
printf 'error("broken example")\n' > "$B/02-tasks/examples/crash.lua"
: > "$B/02-tasks/examples/crash.out"
rm "$B/02-tasks/solutions/greet.lua"
run learn selfcheck --lessons "$B"
expect_rc 1
expect_out 'kitchen: the starter file passes every check as shipped'
expect_out 'kitchen: .*has no `-- TODO:` marker'
expect_out 'spawn: the reference solution fails its checks'
expect_out 'nap: no hints'
expect_out 'greet: .*solutions/greet.lua is missing'
expect_out 'breakfast.lua: its output differs from breakfast.out, line 2: expected "concurrent: 2.0 s", got "concurrent: 3.0 s"'
expect_out 'workers.lua: no .out file'
expect_out 'crash.lua: exits with status 1'
expect_out 'broken example'

case_ "every exercise ships three wrong solutions and another correct one"
cp -r "$FIX" "$TMP/thin"
rm "$TMP/thin/02-tasks/wrong/nap/swapped.lua"
rm -r "$TMP/thin/01-waiting/solutions/kitchen"
run learn selfcheck --lessons "$TMP/thin"
expect_rc 1
expect_out 'nap: 2 wrong solution\(s\) in lessons/02-tasks/wrong/nap/ and 1 other correct one\(s\) in lessons/02-tasks/solutions/nap/; every exercise needs at least three and one'
expect_out 'kitchen: 3 wrong solution\(s\) .* and 0 other correct one\(s\)'
expect_out 'selfcheck: 2 problem\(s\)'

case_ "a wrong solution that passes, and a correct one that fails"
cp -r "$FIX" "$TMP/weak"
cp "$TMP/weak/01-waiting/solutions/kitchen.lua" "$TMP/weak/01-waiting/wrong/kitchen/swapped.lua"
sed -i '1i -- Wrong: not really\n-- Fails: cook returns water and vegetables' "$TMP/weak/01-waiting/wrong/kitchen/swapped.lua"
cp "$TMP/weak/01-waiting/wrong/kitchen/one_after_another.lua" "$TMP/weak/01-waiting/solutions/kitchen/tasks.lua"
run learn selfcheck --lessons "$TMP/weak"
expect_rc 1
expect_out 'wrong/kitchen/swapped.lua: passes the check .cook returns water and vegetables.'
expect_out 'wrong/kitchen/swapped.lua: a wrong solution passes every check'
expect_out 'solutions/kitchen/tasks.lua: a correct solution fails'
expect_out 'wrong solutions caught: 14 of 15'

case_ "a lesson missing from index.lua"
cp -r "$FIX" "$TMP/unlisted"
cp -r "$TMP/unlisted/02-tasks" "$TMP/unlisted/03-extra"
run learn selfcheck --lessons "$TMP/unlisted"
expect_rc 1
expect_out 'lessons/03-extra is not in lessons/index.lua'

case_ "a check file that does not load"
printf 'return { { name = "x", run = "not a function" } }\n' > "$B/02-tasks/checks/forget.lua"
run learn selfcheck --lessons "$B"
expect_rc 1
expect_out 'forget: .*check 1 needs a name, a function `run`'

finish
