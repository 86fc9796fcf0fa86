#!/usr/bin/env bash
# `luasync grade --shard I/N` and `luasync grade merge`: the shards of a run
# are disjoint, cover every submission, follow the documented rule (sorted
# by path, index modulo N), and merged they are byte for byte the report of
# the whole run, in every format.
source "$(dirname "$0")/lib.bash"
FIX="$(cd "$(dirname "$0")/../fixtures/grading" && pwd)"
LESSONS="$FIX/lessons"
# The quick submissions (the runaway ones are grade_hostile.sh's): every
# layout, missing and unreadable files, errors.
SUBS="$TMP/subs"
mkdir "$SUBS"
for s in correct partial starter nothing hostile-syntax_error hostile-not_utf8 hostile-missing \
         hostile-symlink_file hostile-symlink_dir hostile-os_execute hostile-io_open hostile-empty_file \
         hostile-bad_tostring_error hostile-string_metatable hostile-write_report; do
  cp -a "$FIX/submissions/$s" "$SUBS/"
done
grade() { run grade --lessons "$LESSONS" -q --time-limit 30 "$@"; }
jqe() { jq -e "$@" >/dev/null 2>&1 && ok || fail "jq $1 is false"; }

case_ "the whole run"
grade --no-timing --format json -o "$TMP/whole.json" "$SUBS"
expect_rc 0
total=$(jq '.submissions | length' "$TMP/whole.json")
[ "$total" = 15 ] && ok || fail "only $total submissions"

case_ "three shards"
for i in 1 2 3; do
  grade --no-timing --format json --shard $i/3 -o "$TMP/shard$i.json" "$SUBS"
  expect_rc 0
  jqe ".shard == {\"index\": $i, \"count\": 3}" "$TMP/shard$i.json"
done
# Shard I holds the submissions whose index in the sorted list is I-1 modulo 3.
for i in 1 2 3; do
  want=$(jq -c --argjson i $i '[.submissions | to_entries[] | select(.key % 3 == $i - 1) | .value.submission]' "$TMP/whole.json")
  got=$(jq -c '[.submissions[].submission]' "$TMP/shard$i.json")
  [ "$got" = "$want" ] && ok || fail "shard $i: $got, expected $want"
done
n=$(jq -s '[.[].submissions[]] | length' "$TMP"/shard?.json)
[ "$n" = "$total" ] && ok || fail "the shards hold $n submissions, the whole run $total"

case_ "merged shards are the whole report, byte for byte"
run grade merge --no-timing --format json -o "$TMP/merged.json" "$TMP/shard3.json" "$TMP/shard1.json" "$TMP/shard2.json"
expect_rc 0
cmp -s "$TMP/whole.json" "$TMP/merged.json" && ok || fail "differs: $(diff "$TMP/whole.json" "$TMP/merged.json" | head)"
for f in human junit gradescope prairielearn; do
  grade --no-timing --format $f -o "$TMP/whole.$f" "$SUBS"
  run grade merge --no-timing --format $f -o "$TMP/merged.$f" "$TMP"/shard?.json
  expect_rc 0
  cmp -s "$TMP/whole.$f" "$TMP/merged.$f" && ok || fail "$f differs: $(diff "$TMP/whole.$f" "$TMP/merged.$f" | head -5)"
done
xmllint --noout "$TMP/merged.junit" && ok || fail "merged junit is not XML"

case_ "timing survives a merge"
for i in 1 2; do grade --format json --shard $i/2 -o "$TMP/t$i.json" "$SUBS"; done
run grade merge --format json "$TMP/t1.json" "$TMP/t2.json"
expect_rc 0
jqe '(.seconds | type == "number") and all(.submissions[]; .seconds | type == "number") and (has("shard") | not)' <(echo "$out")
run grade merge --format json --no-timing "$TMP/t1.json" "$TMP/t2.json"
cmp -s <(echo "$out") "$TMP/whole.json" && ok || fail "merge --no-timing of timed shards differs from the whole run"

case_ "merge refuses what does not add up"
run grade merge "$TMP/shard1.json" "$TMP/shard2.json"
expect_rc 1; expect_err 'shard 3/3 is missing'
run grade merge "$TMP/shard1.json" "$TMP/shard1.json" "$TMP/shard2.json" "$TMP/shard3.json"
expect_rc 1; expect_err 'shard 1/3 is given twice'
run grade merge "$TMP/shard1.json" "$TMP/t1.json"
expect_rc 1; expect_err 'is a shard of 2, the others of 3'
run grade merge "$TMP/whole.json" "$TMP/whole.json"
expect_rc 1; expect_err 'is in both'
echo '{"format": "something else"}' > "$TMP/other.json"
run grade merge "$TMP/other.json"
expect_rc 1; expect_err 'not a report of `luasync grade --format json`'
echo '{"format": "luasync-grade", ' > "$TMP/broken.json"
run grade merge "$TMP/broken.json"
expect_rc 1; expect_err 'broken.json:'
run grade merge
expect_rc 2; expect_err 'merge needs the JSON reports'

case_ "a shard with nothing in it"
mkdir -p "$TMP/one"
cp -a "$FIX/submissions/correct" "$TMP/one/"
grade --no-timing --format json --shard 2/2 -o "$TMP/empty-shard.json" "$TMP/one"
expect_rc 0
jqe '.submissions == []' "$TMP/empty-shard.json"
grade --no-timing --format json --shard 1/2 -o "$TMP/full-shard.json" "$TMP/one"
run grade merge --no-timing --format gradescope "$TMP/empty-shard.json" "$TMP/full-shard.json"
expect_rc 0
jqe 'type == "object" and .score == 7.5' <(echo "$out")

finish
