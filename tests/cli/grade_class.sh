#!/usr/bin/env bash
# The hostile class (tests/fixtures/hostile-class, issue 12): every finding of
# the grader's trial as a hostile submission among honest classmates, graded
# with --jobs 2, --jobs 1 and --no-dedupe (the reports are identical), then
# written in every format. Each hostile submission fails only its own
# exercise, with a reason; honest classmates get full marks, whatever sorts
# before them; nothing outside the sandbox changes; no process survives;
# a local listener sees no connection; names stay escaped and distinct in
# every format, and `grade merge` reads the grader's own report back.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/hostile_class.bash"
trap 'class_teardown; rm -rf "$TMP"' EXIT
out="" err=""
class_setup

case_ "the class, --jobs 2"
grade_class jobs2
err=$(cat "$TMP/jobs2.err")
expect_rc 0
other=$(grep -v -e '^luasync grade: \[[0-9]*/[0-9]*\] ' -e '^luasync grade: warning: ' "$TMP/jobs2.err" || true)
[ -z "$other" ] && ok || fail "stderr: $other"
check_class jobs2
check_clean jobs2

case_ "the class, --jobs 1 and --no-dedupe: the same report"
setsid -w env TMPDIR="$WORK" "$LUASYNC" grade --lessons "$LESSONS" --format json --no-timing --jobs 1 -q \
  -o "$TMP/jobs1.json" "$CLASS" && rc=0 || rc=$?
expect_rc 0
cmp -s "$TMP/jobs2.json" "$TMP/jobs1.json" && ok || fail "--jobs 1 differs: $(diff "$TMP/jobs2.json" "$TMP/jobs1.json" | head)"
setsid -w env TMPDIR="$WORK" "$LUASYNC" grade --lessons "$LESSONS" --format json --no-timing --jobs 2 -q --no-dedupe \
  -o "$TMP/nodedupe.json" "$CLASS" && rc=0 || rc=$?
expect_rc 0
cmp -s "$TMP/jobs2.json" "$TMP/nodedupe.json" && ok || fail "--no-dedupe differs: $(diff "$TMP/jobs2.json" "$TMP/nodedupe.json" | head)"
check_clean others

case_ "the saboteur sorted first changes nobody's score"
first=$(jq -r '.submissions[0].submission' "$TMP/jobs2.json")
[ "$first" = "$CLASS/aa-saboteur" ] && ok || fail "first is $first"
[ "$(jq --argjson f $FULL '[.submissions[] | select(.submission | test("/(honest-|esc-|nl-|bytes-)")) | select(.score != $f)] | length' "$TMP/jobs2.json")" = 0 ] &&
  ok || fail "an honest classmate lost points"
# Alone, the saboteur's own other exercises pass too: the next exercise in
# its sandbox sees the runtime as it was.
[ "$(jq -r --arg p "$CLASS/aa-saboteur" '.submissions[] | select(.submission == $p) | [.exercises[] | select(.name != "answer" and .status != "passed")] | length' "$TMP/jobs2.json")" = 0 ] &&
  ok || fail "the saboteur's own later exercises failed"

case_ "names: escaped, distinct, read back by grade merge"
n=$(jq '[.submissions[].submission] | length' "$TMP/jobs2.json")
u=$(jq '[.submissions[].submission] | unique | length' "$TMP/jobs2.json")
[ "$n" = "$u" ] && ok || fail "$u distinct names for $n submissions"
grep -qF 'bytes-a\\xff' "$TMP/jobs2.json" && grep -qF 'bytes-a\\xfe' "$TMP/jobs2.json" && ok || fail "bytes not escaped"
grep -qF 'nl-first\\nsecond' "$TMP/jobs2.json" && ok || fail "newline not escaped"
for f in human junit gradescope prairielearn json; do
  "$LUASYNC" grade merge --no-timing --format $f -v -o "$TMP/merged.$f" "$TMP/jobs2.json" && rc=0 || rc=$?
  expect_rc 0
  # No control character but newline and tab, in any format.
  LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f]' "$TMP/merged.$f" && fail "$f: a raw control character" || ok
done
cmp -s "$TMP/merged.json" "$TMP/jobs2.json" && ok || fail "merge changed the report: $(diff "$TMP/jobs2.json" "$TMP/merged.json" | head)"
xmllint --noout "$TMP/merged.junit" && ok || fail "junit: not XML"
[ "$(grep -c '<testsuite ' "$TMP/merged.junit")" = "$(grep '<testsuite ' "$TMP/merged.junit" | sed 's/ tests=.*//' | sort -u | wc -l)" ] &&
  ok || fail "junit: two test suites with the same name"
human=$(cat "$TMP/merged.human")
grep -qF 'esc-\x1b[31mred\x1b]0;title\x07' <<<"$human" && ok || fail "human: the escape sequence is not shown escaped"
# The human table keeps one line per submission.
[ "$(grep -c "^$CLASS/" <<<"$human")" -ge "$n" ] && ok || fail "human: the table is split"

case_ "the progress lines on stderr escape names"
LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f]' "$TMP/jobs2.err" && fail "a raw control character on stderr" || ok
grep -qF 'nl-first\nsecond' "$TMP/jobs2.err" && ok || fail "no escaped progress line"

case_ "learn check: the same attacks, and the progress file stays text"
WS="$TMP/ws"
run learn init "$WS" --lessons "$LESSONS"
expect_rc 0
cp "$CLASS/memusage/spawn.lua" "$WS/exercises/01-class/spawn.lua"
out=$(setsid -w "$LUASYNC" learn -C "$WS" check spawn --lessons "$LESSONS" 2>"$TMP/stderr" </dev/null) && rc=0 || rc=$?
err=$(cat "$TMP/stderr")
expect_rc 1
expect_out "option 'env' is not allowed in exercises"
[ ! -e "$MARK/memusage.out" ] && ok || fail "memusage wrote its file"
LC_ALL=C grep -qP '[\x00-\x08\x0e-\x1f]' "$WS/.luasync-progress" && fail "the progress file has binary data" || ok
cp "$CLASS/escapes/answer.lua" "$WS/exercises/01-class/answer.lua"
run learn -C "$WS" check answer --lessons "$LESSONS"
expect_rc 1
LC_ALL=C grep -q $'\x1b' <<<"$out" && fail "learn check printed a raw escape" || ok
expect_out 'x1b\[2J'

case_ "learn exec: a C loop is stopped by the CPU timer (or the real-time backstop)"
start=$(date +%s%N)
run learn exec --time-limit 1 -e "local tag = '$TAG' table.move({}, 1, math.maxinteger - 1, 1, {})"
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
expect_rc 73
expect_err 'stopped: this program took more than its limit of (CPU|real) time'
# The CPU timer comes at 1.5 s of CPU: on a busy machine, many more of
# real time; a hang would be far longer.
[ "$elapsed" -lt 60000 ] && ok || fail "took $elapsed ms"
run learn exec --time-limit 1 -e "asyncio.run(async(function() asyncio.Future():set_exception(setmetatable({}, {__tostring = function() while true do end end})) end)()) collectgarbage() collectgarbage() print('done')"
expect_rc 0
expect_out '^done$'
check_clean learn

case_ "--check-sandbox names every layer"
run grade --check-sandbox
expect_rc 0
for layer in "lua sandbox" "process group" rlimits capabilities no_new_privs landlock seccomp netns socket-check; do
  expect_out "^  $layer "
done
# What is unavailable is said, never silently skipped.
if grep -qE 'UNAVAILABLE|OFF' <<<"$out"; then expect_out '^warning: '; else ok; fi
expect_out 'tried in a confined child'
# Where every layer works, every attack of the self-test is stopped.
if ! grep -qE 'UNAVAILABLE|OFF' <<<"$out"; then
  grep -q 'NOT STOPPED' <<<"$out" && fail "an attack got through on this machine" || ok
fi

finish
