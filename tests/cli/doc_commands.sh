#!/usr/bin/env bash
# Every luasync command the lesson texts, README.md and docs/ tell people to
# run (in code blocks and in `luasync ...` spans; doc_commands.lua finds
# them and fills in FILE, NAME...) runs: exit status 0 (1 is the documented
# answer of `learn check` and `grade` when checks fail), and never "unknown
# option", "unknown command" or "cannot open" on stderr. A subcommand named in a
# sentence without what it needs (`luasync grade merge`, `luasync learn
# exec`) may answer with its usage (status 2), but its options must exist. A lesson's commands run in
# that lesson's examples/ folder of a fresh workspace (as `learn show`
# says), the others in the workspace itself. Servers (httpbin, tour) must
# print their address; they are stopped after 3 s. (`learn show` tells
# learners where a lesson's examples are: learn_workflow.sh tests it.)
source "$(dirname "$0")/lib.bash"
SRC="$(cd "$(dirname "$0")/../.." && pwd)"
export LUASYNC

T="$TMP/template"
"$LUASYNC" learn init "$T" >/dev/null || { echo "learn init failed"; exit 1; }
printf 'print("hello")\n' > "$T/hello.lua"
cat > "$T/workers.lua" <<'LUA'
local worker = async(function(name, seconds)
  await(asyncio.sleep(seconds))
  print(name .. " done")
end)
asyncio.run(async(function()
  await(asyncio.gather(worker("a", 1), worker("b", 2)))
end)())
LUA
ln -s "$SRC/lessons" "$T/lessons"   # the lesson authors' commands
ln -s "$SRC/docs" "$T/docs"         # docs/examples
mkdir -p "$T/submissions/alice" "$T/subs/alice"
cp "$SRC/lessons/01-why-async/solutions/kitchen.lua" "$T/submissions/alice/kitchen.lua"
cp "$SRC/lessons/01-why-async/exercises/kitchen.lua" "$T/subs/alice/kitchen.lua"
echo "-- my first try" >> "$T/exercises/01-why-async/kitchen.lua"   # so that restore has a version
(cd "$T" && "$LUASYNC" learn reset kitchen >/dev/null) || { echo "learn reset failed"; exit 1; }

list=$("$LUASYNC" "$SRC/tests/cli/doc_commands.lua" "$SRC") || { echo "doc_commands.lua failed"; exit 1; }
count=$(grep -c . <<<"$list")
case_ "the texts name commands to run"
[ "$count" -ge 30 ] && ok || fail "only $count commands found"
grep -q $'^01-why-async\tluasync --virtual-time one_after_another.lua' <<<"$list" && ok || fail "lesson 1's command not found"

i=0
while IFS=$'\t' read -r where cmd origin kind; do
  i=$((i + 1))
  case_ "$origin: $cmd"
  # learn/selfcheck (CTest) and learn_selfcheck.sh run the self-check.
  case "$cmd" in *selfcheck*) continue ;; esac
  run_dir="$TMP/run$i"
  cp -a "$T" "$run_dir"
  dir="$run_dir"
  # (a lesson without examples, such as lesson 0, has no folder there)
  [ "$where" != "." ] && [ -d "$run_dir/examples/$where" ] && dir="$run_dir/examples/$where"
  server=0
  line=$cmd
  case "$cmd" in
    *httpbin*) server=1; line="$cmd --port 0" ;;   # never a fixed port in tests
    *"tour --backend"*) ;;
    *tour*) server=1 ;;
  esac
  limit=120
  [ "$server" = 1 ] && limit=3
  out=$(cd "$dir" && BROWSER=true timeout "$limit" bash -c 'luasync() { "$LUASYNC" "$@"; }; '"$line" \
    2>"$TMP/stderr" </dev/null) && rc=0 || rc=$?
  err=$(cat "$TMP/stderr")
  if [ "$server" = 1 ]; then
    [ "$rc" -eq 124 ] && ok || fail "a server that stopped by itself (status $rc)"
    grep -qE 'http://127\.0\.0\.1:[0-9]+' <<<"$out" && ok || fail "no address printed"
  else
    # A subcommand named in a sentence, answering with its usage.
    if [ "$kind" = inline ] && [ "$rc" -eq 2 ] && grep -q -- '--help` for usage' <<<"$err"; then rc=0; fi
    case "$cmd" in
      *"learn check"*|*"grade "*) [ "$rc" -le 1 ] && ok || fail "exit status $rc" ;;
      *) [ "$rc" -eq 0 ] && ok || fail "exit status $rc" ;;
    esac
  fi
  grep -qiE 'unknown option|unknown command|cannot open|no such file' <<<"$err" && fail "an error on stderr" || ok
  rm -rf "$run_dir"
  [ -n "${DOC_COMMANDS_TIMES:-}" ] && echo "$SECONDS $cmd" >&2
done <<<"$list"

finish
