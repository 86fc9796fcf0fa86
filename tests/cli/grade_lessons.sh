#!/usr/bin/env bash
# `luasync grade` with the built-in lessons: a workspace holding every
# reference solution gets full marks (every exercise, HTTP, files and
# subprocesses included), the same files flat too; the starter files as
# `learn init` makes them pass no exercise; missing files count 0 with the
# reason "missing".
source "$(dirname "$0")/lib.bash"
LESSONS="$(cd "$(dirname "$0")/../../lessons" && pwd)"
SUBS="$TMP/subs"
mkdir "$SUBS"
jqe() { jq -e "$@" >/dev/null 2>&1 && ok || fail "jq $1 is false"; }

run learn init "$SUBS/starter"
expect_rc 0
cp -r "$SUBS/starter" "$SUBS/solved"
mkdir "$SUBS/flat"
for sol in "$LESSONS"/*/solutions/*.lua; do
  lesson=$(basename "$(dirname "$(dirname "$sol")")")
  cp "$sol" "$SUBS/solved/exercises/$lesson/"
  cp "$sol" "$SUBS/flat/"
done
cp -r "$SUBS/solved" "$SUBS/gaps"
rm "$SUBS"/gaps/exercises/01-why-async/kitchen.lua "$SUBS"/gaps/exercises/13-web-concurrently/fetch_pages.lua
n=$(ls "$LESSONS"/*/solutions/*.lua | wc -l)

case_ "grading the built-in lessons"
run grade -q --format json --jobs 2 "$SUBS"
expect_rc 0
echo "$out" > "$TMP/r.json"
jqe '.lessons == "built in" and (.submissions | length == 4)' "$TMP/r.json"
jqe "all(.submissions[]; .exercise_count == $n)" "$TMP/r.json"
for s in solved flat; do
  jqe '.submissions[] | select(.submission | endswith("/'$s'")) | .score == .max_score and .exercises_passed == .exercise_count' "$TMP/r.json"
done
jqe '.submissions[] | select(.submission | endswith("/flat")) | .layout == "flat" and (.exercises[] | select(.name == "kitchen") | .file == "kitchen.lua")' "$TMP/r.json"
# As shipped, no exercise passes (the self-check proves it exercise by exercise).
jqe '.submissions[] | select(.submission | endswith("/starter")) | .exercises_passed == 0 and .score < .max_score' "$TMP/r.json"
jqe '.submissions[] | select(.submission | endswith("/gaps")) | .exercises_passed == .exercise_count - 2
     and ([.exercises[] | select(.status == "missing") | .name] == ["kitchen", "fetch_pages"])
     and (.exercises[] | select(.name == "kitchen") | .score == 0 and .reason == "missing: exercises/01-why-async/kitchen.lua is not in the submission")' "$TMP/r.json"
if [ "$(jq '.submissions[] | select(.submission | endswith("/solved")) | .score' "$TMP/r.json")" = \
     "$(jq '.submissions[] | select(.submission | endswith("/solved")) | .max_score' "$TMP/r.json")" ]; then ok
else
  fail "solved: $(jq -c '.submissions[] | select(.submission | endswith("/solved")) | [.exercises[] | select(.status != "passed") | {name, checks: [.checks[] | select(.status == "failed")]}]' "$TMP/r.json")"
fi

case_ "the human summary"
run grade -q "$SUBS/solved" "$SUBS/gaps"
expect_rc 0
expect_out 'solved: ([0-9]+) of \1 points \(100%\)'
expect_out '^  MISS kitchen +0/3 +missing: exercises/01-why-async/kitchen.lua is not in the submission'
expect_out '^2 submissions, mean score'

finish
