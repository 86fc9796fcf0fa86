#!/usr/bin/env bash
# `luasync grade` report formats against their schemas (docs/grading.md):
# json (jq), junit (xmllint), gradescope and prairielearn (jq), human; the
# escaping of hostile messages; determinism (the same submissions give the
# same bytes with --no-timing, and the same report without the timing
# fields otherwise); -o; usage errors; the progress display.
source "$(dirname "$0")/lib.bash"
FIX="$(cd "$(dirname "$0")/../fixtures/grading" && pwd)"
LESSONS="$FIX/lessons"
SUBS="$TMP/subs"
mkdir "$SUBS"
for s in correct partial starter nothing; do cp -a "$FIX/submissions/$s" "$SUBS/"; done
# Messages full of what reports must escape: markup, quotes, control
# characters, bytes that are not UTF-8, an address that changes every run.
mkdir "$SUBS/escapes"
cat > "$SUBS/escapes/answer.lua" <<'EOF'
local main = async(function()
  error("<b>&amp;</b> \"quoted\" 'single' ]]> \1\2\27[31m tab\there " .. string.char(255, 254) .. " " .. tostring({}))
end)
return { main = main }
EOF
grade() { run grade --lessons "$LESSONS" -q "$@"; }
jqe() { jq -e "$@" >/dev/null 2>&1 && ok || fail "jq $1 is false"; }

case_ "help"
run grade --help
expect_rc 0; expect_out 'usage: luasync grade'; expect_out 'gradescope, prairielearn'; expect_out '--shard I/N'
run --help
expect_out 'luasync grade SUBMISSION'

case_ "usage errors"
grade
expect_rc 2; expect_err 'which submissions'
grade --format xml "$SUBS"
expect_rc 2; expect_err '--format takes human, json, junit, gradescope or prairielearn'
grade --shard 3/2 "$SUBS"
expect_rc 2; expect_err '--shard takes I/N'
grade --jobs 0 "$SUBS"
expect_rc 2; expect_err '--jobs needs a number'
grade "$TMP/nope"
expect_rc 2; expect_err 'nope does not exist'
grade -o "$SUBS/correct/report.json" "$SUBS"
expect_rc 2; expect_err 'would be inside the submission .*correct'
[ -e "$SUBS/correct/report.json" ] && fail "wrote into a submission" || ok
grade -o "$TMP/no/such/dir/r.json" "$SUBS/correct"
expect_rc 1; expect_err 'cannot write'

case_ "json: the schema"
grade --format json "$SUBS"
expect_rc 0
echo "$out" > "$TMP/r.json"
jq . "$TMP/r.json" >/dev/null && ok || fail "not JSON"
if command -v python3 >/dev/null; then
  python3 -m json.tool "$TMP/r.json" >/dev/null && ok || fail "python's json.tool rejects it"
fi
jqe '.format == "luasync-grade" and .version == 1 and (.lessons | type == "string")
     and (.seconds | type == "number") and (.submissions | length == 5) and (has("shard") | not)' "$TMP/r.json"
jqe 'all(.submissions[];
       (.submission | type == "string") and (.layout | IN("workspace", "flat", "empty"))
       and (.score | type == "number") and (.max_score == 7.5) and (.percent | type == "number")
       and (.exercises_passed | type == "number") and (.exercise_count == (.exercises | length))
       and (.seconds | type == "number") and .score == ([.exercises[].score] | add)
       and all(.exercises[];
             (.name | type == "string") and (.lesson == "01-basics") and (.title | type == "string")
             and (.file | type == "string") and (.status | IN("passed", "failed", "missing"))
             and (.seconds | type == "number")
             and .score == ([.checks[].score] | add) and .max_score == ([.checks[].points] | add)
             and all(.checks[];
                   (.name | type == "string") and (.points | type == "number") and (.status | IN("passed", "failed"))
                   and (if .status == "failed" then (.message | type == "string") and .score == 0
                        else .score == .points and (has("message") | not) end))))' "$TMP/r.json"
jqe '[.submissions[].submission] == ([.submissions[].submission] | sort)' "$TMP/r.json"
jqe '[.submissions[] | {(.submission | split("/") | last): .score}] | add
     == {"correct": 7.5, "escapes": 0, "nothing": 0, "partial": 3.5, "starter": 1.5}' "$TMP/r.json"
jqe '.submissions[] | select(.submission | endswith("/correct")) | .layout == "workspace"
     and .exercises[0].file == "exercises/01-basics/answer.lua"' "$TMP/r.json"
jqe '.submissions[] | select(.submission | endswith("/partial")) | .layout == "flat"
     and (.exercises[] | select(.name == "notes") | .status == "missing" and (.reason | startswith("missing")))
     and (.exercises[] | select(.name == "concat") | .score == 1.5 and .checks[2].points == 0.5)' "$TMP/r.json"
jqe '.submissions[] | select(.submission | endswith("/nothing")) | .layout == "empty"
     and all(.exercises[]; .status == "missing")' "$TMP/r.json"
jqe '.submissions[] | select(.submission | endswith("/partial")) | .exercises[0].checks[1].message
     | test("expected the output to match")' "$TMP/r.json"

case_ "json: hostile messages are escaped and normalized"
msg=$(jq -r '.submissions[] | select(.submission | endswith("/escapes")) | .exercises[0].checks[0].message' "$TMP/r.json")
grep -qF '<b>&amp;</b> "quoted" '"'"'single'"'"' ]]>' <<<"$msg" && ok || fail "markup: $msg"
grep -qF 'table: 0x…' <<<"$msg" && ok || fail "address not normalized: $msg"
grep -qF $'\xef\xbf\xbd\xef\xbf\xbd' <<<"$msg" && ok || fail "invalid UTF-8 not replaced: $msg"
# Control characters are shown, never passed through (issue 12): as visible
# escapes, in the message itself, so every consumer of the JSON sees text.
grep -qF '\x01\x02\x1b[31m' <<<"$msg" && ok || fail "control characters not shown as \\xHH: $msg"
LC_ALL=C grep -q $'[\x01-\x08\x1b]' <<<"$msg" && fail "a raw control character: $msg" || ok
grep -q '\\u00' "$TMP/r.json" && fail "a control character reached the JSON" || ok

case_ "junit: well-formed, one testsuite per submission, one testcase per check"
grade --format junit "$SUBS"
expect_rc 0
echo "$out" > "$TMP/r.xml"
xmllint --noout "$TMP/r.xml" && ok || fail "xmllint rejects it"
x() { xmllint --xpath "$1" "$TMP/r.xml" 2>/dev/null; }
[ "$(x 'count(/testsuites/testsuite)')" = 5 ] && ok || fail "testsuites: $(x 'count(/testsuites/testsuite)')"
[ "$(x 'count(//testcase)')" = 30 ] && ok || fail "testcases: $(x 'count(//testcase)')"
[ "$(x 'string(/testsuites/@tests)')" = 30 ] && ok || fail "tests attribute"
[ "$(x 'string(/testsuites/@failures)')" = "$(x 'count(//failure)')" ] && ok || fail "failures attribute"
[ "$(x 'sum(//testsuite/@tests)')" = 30 ] && ok || fail "testsuite tests attributes"
[ "$(x 'count(//failure[not(@message) or not(@type)])')" = 0 ] && ok || fail "a failure without message or type"
[ "$(x 'count(//testcase[not(@name) or not(@classname)])')" = 0 ] && ok || fail "a testcase without name"
[ "$(x 'string(//testsuite[contains(@name,"/correct")]/properties/property[@name="score"]/@value)')" = 7.5 ] && ok || fail "score property"
[ "$(x 'count(//testsuite[contains(@name,"/correct")]//failure)')" = 0 ] && ok || fail "correct has failures"
[ "$(x 'string(//testsuite[contains(@name,"/partial")]//testcase[@name="notes: save writes the note and reads it back"]/failure/@type)')" = missing ] && ok || fail "missing type"
t=$(x 'string(//testsuite[contains(@name,"/escapes")]//failure)')
grep -qF '<b>&amp;</b> "quoted"' <<<"$t" && ok || fail "escaped text does not round-trip: $t"
grep -q 'time=' "$TMP/r.xml" && ok || fail "no time attributes"

case_ "gradescope: results.json of one submission"
grade --format gradescope "$SUBS/partial"
expect_rc 0
echo "$out" > "$TMP/gs.json"
jqe 'type == "object" and .score == 3.5 and (.execution_time | type == "number") and (.output | type == "string")
     and (.tests | length == 6) and .score == ([.tests[].score] | add) and ([.tests[].max_score] | add) == 7.5
     and all(.tests[]; (.name | type == "string") and (.score | type == "number") and (.max_score | type == "number")
             and (.status | IN("passed", "failed")) and (.output | type == "string") and .visibility == "visible")
     and (has("submission") | not)' "$TMP/gs.json"
jqe '.tests[] | select(.name == "notes: save writes the note and reads it back")
     | .status == "failed" and (.output | startswith("missing"))' "$TMP/gs.json"
jqe '.tests[] | select(.name == "answer: main returns 42") | .status == "passed" and .score == 2' "$TMP/gs.json"
grade --format gradescope "$SUBS"
echo "$out" > "$TMP/gs-all.json"
jqe 'type == "array" and length == 5 and all(.[]; (.submission | type == "string") and (.tests | length == 6))' "$TMP/gs-all.json"

case_ "prairielearn: results.json of one submission"
grade --format prairielearn "$SUBS/partial"
expect_rc 0
echo "$out" > "$TMP/pl.json"
jqe 'type == "object" and .gradable == true and (.score - 3.5 / 7.5 | fabs) < 1e-12 and .score >= 0 and .score <= 1
     and (.message | test("3.5 of 7.5 points")) and (.output | type == "string") and (.tests | length == 6)
     and all(.tests[]; (.name | type == "string") and (.points | type == "number") and (.max_points | type == "number")
             and (.message | type == "string") and (.output | type == "string") and .points <= .max_points)' "$TMP/pl.json"
grade --format prairielearn "$SUBS/correct"
jqe '.score == 1 and .gradable' <(echo "$out")
grade --format prairielearn "$SUBS/nothing"
jqe '.score == 0 and .gradable' <(echo "$out")

case_ "human: a breakdown per submission and the summary table"
grade "$SUBS"
expect_rc 0
expect_out 'partial: 3.5 of 7.5 points \(46.67%\), 0 of 3 exercises pass'
expect_out '^  MISS notes +0/1 +missing: notes.lua is not in the submission'
expect_out '^  FAIL concat +1.5/3.5 +the fetches overlap: expected it to finish at 1.0'
expect_out '^submission +score +% +exercises passed'
expect_out 'subs/correct +7.5/7.5 +100 +3/3'
expect_out '^5 submissions, mean score 33.33%, graded in [0-9.]+ s'
grade -v "$SUBS/partial"
expect_out '^      FAIL the fetches overlap \(0/2\)'
expect_out '^          expected it to finish at 1.0 virtual seconds'
expect_out '^      ok   main returns 42 \(2/2\)'

case_ "determinism: the same bytes every time with --no-timing"
for f in human json junit gradescope prairielearn; do
  grade --no-timing --format $f -o "$TMP/a.$f" "$SUBS"
  grade --no-timing --format $f -o "$TMP/b.$f" --jobs 1 "$SUBS"
  cmp -s "$TMP/a.$f" "$TMP/b.$f" && ok || fail "$f differs: $(diff "$TMP/a.$f" "$TMP/b.$f" | head -5)"
done
 grep -q '"seconds"' "$TMP/a.json" && fail "timing in a --no-timing report" || ok
grep -q 'time=' "$TMP/a.junit" && fail "timing in a --no-timing junit report" || ok
grep -q execution_time "$TMP/a.gradescope" && fail "timing in a --no-timing gradescope report" || ok
# With timing, only the timing fields differ.
strip='del(.seconds, .submissions[].seconds, .submissions[].exercises[].seconds)'
cmp -s <(jq "$strip" "$TMP/r.json") <(jq "$strip" "$TMP/a.json") && ok || fail "differs beyond timing"
# Checking identical files once gives the very same report.
grade --no-timing --no-dedupe --format json -o "$TMP/c.json" "$SUBS"
cmp -s "$TMP/a.json" "$TMP/c.json" && ok || fail "--no-dedupe differs"

case_ "-o replaces the report atomically"
echo old > "$TMP/out.json"
grade --format json -o "$TMP/out.json" "$SUBS/correct"
expect_rc 0; expect_out '^$'
jqe '.submissions[0].score == 7.5' "$TMP/out.json"
ls -a "$TMP" | grep -q '^\.out\.json\.tmp' && fail "temporary file left" || ok

case_ "a submission given directly, flat or workspace"
grade --format json "$SUBS/partial" "$SUBS/correct/"
jqe '[.submissions[].submission] == ["'"$SUBS"'/correct", "'"$SUBS"'/partial"]' <(echo "$out")
grade --format json "$SUBS/correct" "$SUBS/correct"
jqe '.submissions | length == 1' <(echo "$out")

case_ "progress: a bar on a terminal, lines otherwise"
run grade --lessons "$LESSONS" --format json -o "$TMP/p.json" "$SUBS"
expect_err '^luasync grade: \[1/5\] '
expect_err '^luasync grade: \[5/5\] '
# `command script`: util-linux script(1) gives it a terminal (lib.bash has a
# function named script).
command script -qec "'$LUASYNC' grade --lessons '$LESSONS' --format json -o '$TMP/p.json' '$SUBS'" /dev/null > "$TMP/tty.txt" 2>&1 </dev/null
grep -q '5/5 submissions graded' "$TMP/tty.txt" && ok || fail "no progress bar: $(cat -v "$TMP/tty.txt")"
grep -q 'luasync grade: \[' "$TMP/tty.txt" && fail "progress lines on a terminal" || ok
grade --format json -o "$TMP/p.json" "$SUBS"
[ -z "$err" ] && ok || fail "-q printed: $err"

finish
