#!/usr/bin/env bash
# `luasync grade` end to end on tests/fixtures/grading/submissions: the
# correct, partial, empty and starter submissions get their scores, and each
# hostile submission loses exactly the points of its hostile file, with the
# reason its `expected` file gives, while its other exercises (and every
# other submission) are graded normally. The grader never hangs, never
# writes into a submission, and a submission cannot touch the report.
source "$(dirname "$0")/lib.bash"
FIX="$(cd "$(dirname "$0")/../fixtures/grading" && pwd)"
LESSONS="$FIX/lessons"
SUBS="$TMP/subs"
PWNED=/tmp/luasync-grade-pwned
rm -f "$PWNED"
# Generous for sanitizer builds; a hang would be far longer.
MAX_SECONDS=${GRADE_HOSTILE_MAX_SECONDS:-60}

# A copy (links kept as links), plus what git cannot store: a FIFO, which
# would block a reader that opens it without care.
cp -a "$FIX/submissions" "$SUBS"
mkdir "$SUBS/hostile-fifo"
mkfifo "$SUBS/hostile-fifo/answer.lua"
cp "$LESSONS/01-basics/solutions/concat.lua" "$LESSONS/01-basics/solutions/notes.lua" "$SUBS/hostile-fifo/"
printf 'score: 4.5\nanswer: answer.lua is not a regular file\n' > "$SUBS/hostile-fifo/expected"
snapshot() { (cd "$SUBS" && find . -printf '%p %y %s %l\n' | sort && find . -type f -exec sha256sum {} + | sort); }
before=$(snapshot)

mkdir "$TMP/tmp"
case_ "grading every fixture submission"
# A generous --time-limit (as in learn_sandbox.sh): on a loaded machine, 2 s
# of real time passed before a busy loop reached its instruction limit, and
# the expected messages name the limit each hostile file aims at.
start=$(date +%s%N)
out=$(TMPDIR="$TMP/tmp" "$LUASYNC" grade --lessons "$LESSONS" --format json --jobs 2 --time-limit 30 \
        -o "$TMP/report.json" "$SUBS" 2>"$TMP/stderr") && rc=0 || rc=$?
err=$(cat "$TMP/stderr")
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
expect_rc 0
expect_out '^$'                                   # the report went to the file
expect_err "luasync grade: \[[0-9]+/[0-9]+\] .*subs/correct: 7.5/7.5"  # progress lines (not a TTY)
# Nothing on stderr but the progress lines: the grader itself never fails.
other=$(grep -v -e '^luasync grade: \[[0-9]*/[0-9]*\] ' -e '^luasync grade: warning: ' <<<"$err" || true)
[ -z "$other" ] && ok || fail "stderr: $other"
if [ "$elapsed_ms" -lt $((MAX_SECONDS * 1000)) ]; then ok; else fail "took ${elapsed_ms} ms"; fi
echo "graded $(ls "$SUBS" | wc -l) submissions in ${elapsed_ms} ms"
jq -e . "$TMP/report.json" >/dev/null && ok || fail "the report is not JSON"

# What the report says about one submission: "exercise status" lines, and
# the messages of its failed checks as "exercise<TAB>message" lines.
statuses() { jq -r --arg p "$SUBS/$1" '.submissions[] | select(.submission == $p) | .exercises[] | "\(.name) \(.status)"' "$TMP/report.json"; }
messages() { jq -r --arg p "$SUBS/$1" '.submissions[] | select(.submission == $p) | .exercises[] | .name as $n | .checks[] | select(.status == "failed") | "\($n)\t\(.message | gsub("\n"; " "))"' "$TMP/report.json"; }
score() { jq -r --arg p "$SUBS/$1" '.submissions[] | select(.submission == $p) | "\(.score)/\(.max_score)"' "$TMP/report.json"; }

n=0
for dir in "$SUBS"/*/; do
  name=$(basename "$dir")
  case_ "submission $name"
  n=$((n + 1))
  want=$(sed -n 's/^score: //p' "$dir/expected")
  got=$(score "$name")
  [ "$got" = "$want/7.5" ] && ok || fail "score $got, expected $want/7.5"
  named=""
  while IFS= read -r line; do
    ex=${line%%: *}
    [ "$ex" = score ] && continue
    named="$named $ex"
    re=${line#*: }
    msgs=$(messages "$name" | awk -F'\t' -v e="$ex" '$1 == e { print $2 }')
    [ -n "$msgs" ] || { fail "$ex: no failed check (expected /$re/)"; continue; }
    bad=$(grep -vE -- "$re" <<<"$msgs" || true)
    [ -z "$bad" ] && ok || fail "$ex: a message does not match /$re/: $bad"
  done < "$dir/expected"
  # A hostile file costs only its own exercise: the others pass.
  if [[ $name == hostile-* ]] && [[ $name != hostile-symlink_dir ]]; then
    while read -r ex status; do
      [[ " $named " == *" $ex "* ]] && continue
      [ "$status" = passed ] && ok || fail "$ex is $status: a hostile file in another exercise cost it points"
    done < <(statuses "$name")
  fi
  if [ "$name" = correct ]; then
    [ "$(statuses correct | grep -vc ' passed$')" = 0 ] && ok || fail "correct: $(statuses correct)"
  fi
done
case_ "every submission is in the report"
[ "$(jq '.submissions | length' "$TMP/report.json")" = "$n" ] && ok || fail "not $n submissions"

case_ "nothing escaped, nothing was written into a submission"
[ -e "$PWNED" ] && fail "$PWNED exists" || ok
[ "$(snapshot)" = "$before" ] && ok || fail "a submission changed: $(diff <(echo "$before") <(snapshot))"
grep -q pwned "$TMP/report.json" && fail "the report was overwritten" || ok
[ -e "$TMP/tmp/report.json" ] || [ -e "$TMP/report.json.tmp" ] && fail "stray files" || ok
[ -z "$(ls -A "$TMP/tmp")" ] && ok || fail "temporary directories left: $(ls -A "$TMP/tmp")"
ls -a "$TMP" | grep -q '\.report\.json\.tmp' && fail "the report's temporary file is left" || ok

case_ "--jobs N bounds the processes: N workers, each running at most two sandboxes at once"
mkdir "$TMP/loops"
for i in 1 2 3 4 5 6; do
  mkdir "$TMP/loops/s$i"
  printf -- '-- loop %d\nwhile true do end\n' "$i" > "$TMP/loops/s$i/answer.lua"
  cp "$TMP/loops/s$i/answer.lua" "$TMP/loops/s$i/concat.lua"
done
"$LUASYNC" grade --lessons "$LESSONS" --jobs 2 -q --format json -o "$TMP/loops.json" "$TMP/loops" &
pid=$!
max_workers=0 max_sandboxes=0
while kill -0 "$pid" 2>/dev/null; do
  # Children of the grader are workers; their children are sandboxes.
  read -r w s < <(ps -e -o pid=,ppid= | awk -v root="$pid" '
    { parent[$1] = $2 }
    END { for (p in parent) if (parent[p] == root) { w++; kid[p] = 1 }
          for (p in parent) if (parent[p] in kid) s++
          print w + 0, s + 0 }')
  [ "$w" -gt "$max_workers" ] && max_workers=$w
  [ "$s" -gt "$max_sandboxes" ] && max_sandboxes=$s
  sleep 0.02
done
wait "$pid" && rc=0 || rc=$?
expect_rc 0
[ "$max_workers" -le 2 ] && ok || fail "$max_workers worker processes"
[ "$max_sandboxes" -le 4 ] && ok || fail "$max_sandboxes sandboxes at once"
[ "$max_sandboxes" -ge 1 ] && ok || fail "never saw a sandbox"
[ "$(jq '[.submissions[] | select(.score == 0)] | length' "$TMP/loops.json")" = 6 ] && ok || fail "loops scored"

case_ "a worker killed from outside is replaced, and its exercise checked again"
# --time-limit 30: the two reports must name the same limit, also on a
# loaded machine (see above).
"$LUASYNC" grade --lessons "$LESSONS" --jobs 2 -q --no-timing --time-limit 30 --format json -o "$TMP/killed.json" "$TMP/loops" &
pid=$!
victim=""
for _ in $(seq 500); do
  victim=$(ps -e -o pid=,ppid= | awk -v root="$pid" '$2 == root { print $1; exit }')
  [ -n "$victim" ] && [ -n "$(ps -e -o ppid= | awk -v w="$victim" '$1 == w')" ] && break
  sleep 0.01
done
[ -n "$victim" ] && kill -9 "$victim"
wait "$pid" && rc=0 || rc=$?
expect_rc 0
"$LUASYNC" grade --lessons "$LESSONS" --jobs 2 -q --no-timing --time-limit 30 --format json -o "$TMP/unkilled.json" "$TMP/loops"
cmp -s "$TMP/killed.json" "$TMP/unkilled.json" && ok || fail "differs: $(diff "$TMP/killed.json" "$TMP/unkilled.json" | head)"

finish
