#!/usr/bin/env bash
# Watch mode (`luasync learn` in a workspace), driven through tmux: it shows
# the current exercise, re-checks when the file is saved (in place or by a
# rename, as editors do), and answers the keys h, n, l, r, q and Ctrl-C; the
# terminal mode is restored when it ends.
source "$(dirname "$0")/lib.bash"
command -v tmux >/dev/null || { echo "tmux is not installed (dev.sh installs it)"; exit 1; }
FIX="$(cd "$(dirname "$0")/../fixtures/lessons" && pwd)"
LUASYNC_ABS="$(cd "$(dirname "$LUASYNC")" && pwd)/$(basename "$LUASYNC")"
WS="$TMP/ws"
SOCK="$TMP/tmux.sock"
S=learnwatch
tm() { tmux -S "$SOCK" "$@"; }
trap 'tm kill-server 2>/dev/null; rm -rf "$TMP"' EXIT

LUASYNC_LESSONS="$FIX" "$LUASYNC" learn init "$WS" >/dev/null || { echo "init failed"; exit 1; }

start() {  # start: watch mode in a fresh tmux session
  tm kill-session -t $S 2>/dev/null
  tm new-session -d -s $S -x 110 -y 45 \
    "cd '$WS' && LUASYNC_LESSONS='$FIX' '$LUASYNC_ABS' learn; echo \"EXITED \$?\"; stty -a > '$TMP/stty'; sleep 60"
}
screen() { tm capture-pane -p -t $S; }
wait_for() {  # wait_for REGEX [SECONDS]: until the screen matches
  local deadline=$(( $(date +%s) + ${2:-10} ))
  while [ "$(date +%s)" -le "$deadline" ]; do
    if screen | grep -qE -- "$1"; then out=$(screen); ok; return 0; fi
    sleep 0.1
  done
  out=$(screen); err=""
  fail "screen never showed /$1/"
  return 1
}
key() { tm send-keys -t $S "$@"; }
save_by_rename() {  # save_by_rename SRC DEST: a new file renamed over the old (vim, VS Code)
  cp "$1" "$2.tmp-save" && mv "$2.tmp-save" "$2"
}

case_ "starts on the current exercise and checks it"
start
wait_for 'Exercise kitchen: Boil water while you chop'
wait_for 'kitchen: 1 of 2 checks failed'
wait_for 'expected it to finish at 3.0 virtual seconds, but it finished at 5.0'
wait_for '0/5 exercises done'
wait_for 'h hint · n next · p previous · l list · r reset'

case_ "saving the file re-checks it"
cp "$FIX/01-waiting/solutions/kitchen.lua" "$WS/exercises/01-waiting/kitchen.lua"
wait_for 'kitchen: all 2 checks pass'
wait_for 'All checks pass! Press n for the next exercise.'
wait_for '1/5 exercises done'
grep -q '^done kitchen$' "$WS/.luasync-progress" && ok || fail "progress not saved"

case_ "h shows the next hint"
key h
wait_for 'Hint 1 of 3 for kitchen:'
key h
wait_for 'Hint 2 of 3 for kitchen:'

case_ "n goes to the next exercise"
key n
wait_for 'Exercise spawn: Three workers in the background'
wait_for 'spawn: 1 of 2 checks failed'
grep -q '^current spawn$' "$WS/.luasync-progress" && ok || fail "current not saved"

case_ "checks and hints made in another terminal show up, and n keeps them"
cp "$FIX/02-tasks/solutions/nap.lua" "$WS/exercises/02-tasks/nap.lua"
LUASYNC_LESSONS="$FIX" "$LUASYNC" learn -C "$WS" check nap >/dev/null
LUASYNC_LESSONS="$FIX" "$LUASYNC" learn -C "$WS" hint greet >/dev/null
wait_for '2/5 exercises done'   # redrawn from the progress file, no key pressed
key n                           # spawn -> nap is done elsewhere: n skips it
wait_for 'Exercise forget:'
grep -q '^done nap$' "$WS/.luasync-progress" && grep -q '^done kitchen$' "$WS/.luasync-progress" \
  && grep -q '^hints greet 1$' "$WS/.luasync-progress" && grep -q '^hints kitchen 2$' "$WS/.luasync-progress" \
  && ok || fail "records lost: $(cat "$WS/.luasync-progress")"
key p
wait_for 'Exercise nap:'
key p
wait_for 'Exercise spawn:'

case_ "a save by rename is seen too"
save_by_rename "$FIX/02-tasks/solutions/spawn.lua" "$WS/exercises/02-tasks/spawn.lua"
wait_for 'spawn: all 2 checks pass'
wait_for '3/5 exercises done'

case_ "l lists the exercises: arrows move, Enter opens, a number jumps, Esc goes back"
key l
wait_for '^> +2 ✓ spawn .*Three workers.*\(current\)'
wait_for '↑↓ move'
key Down
wait_for '^> +3 ✓ nap '
key Down
key Enter
wait_for 'Exercise forget:'
key l
key 5
wait_for 'go to exercise 5_'
key Enter
wait_for 'Exercise greet:'
key l
wait_for '^> +5 +greet'
key Escape
wait_for 'Exercise greet:'
key l
key 2
key Enter
wait_for 'Exercise spawn:'

case_ "r asks, then resets to the starter file"
key r
wait_for 'Reset spawn to its starter file\? .*\(y/n\)'
key y
wait_for 'Reset to the starter file; your version is kept in'
wait_for 'spawn: 1 of 2 checks failed'
cmp -s "$WS/exercises/02-tasks/spawn.lua" "$FIX/02-tasks/exercises/spawn.lua" && ok || fail "not reset"
ls "$WS/.luasync-backup/spawn/"*.lua >/dev/null 2>&1 && ok || fail "no backup"

case_ "r then n does not reset"
key r
wait_for '\(y/n\)'
key n
wait_for 'Not reset.'

case_ "an infinite loop in the exercise is a failed check, and watch mode goes on"
printf 'while true do end\n' > "$WS/exercises/02-tasks/spawn.lua"
wait_for 'million Lua instructions' 20
cp "$FIX/02-tasks/solutions/spawn.lua" "$WS/exercises/02-tasks/spawn.lua"
wait_for 'spawn: all 2 checks pass'

case_ "q quits and restores the terminal"
key q
wait_for '^EXITED 0$'
sleep 0.3
grep -qE '(^| )icanon' "$TMP/stty" && grep -qE '(^| )echo( |$)' "$TMP/stty" && ok || fail "terminal left raw: $(cat "$TMP/stty")"

case_ "Ctrl-C quits and restores the terminal"
rm -f "$TMP/stty"
start
wait_for 'Exercise spawn:'
key C-c
wait_for '^EXITED 0$'
sleep 0.3
grep -qE '(^| )icanon' "$TMP/stty" && ok || fail "terminal left raw"

case_ "learn watch NAME starts at NAME"
rm -f "$TMP/stty"
tm kill-session -t $S 2>/dev/null
tm new-session -d -s $S -x 60 -y 30 \
  "cd '$WS' && LUASYNC_LESSONS='$FIX' '$LUASYNC_ABS' learn watch greet; echo \"EXITED \$?\"; sleep 60"
wait_for 'Exercise greet:'
case_ "long lines wrap at word boundaries"
# 60 columns: the key line must break between words, not inside one.
screen | grep -qE '(^|[^a-z])(previous|list|reset|check|quit)[a-z]' && fail "a word was cut" || ok
screen | grep -qE '^.{61,}' && fail "a line is wider than the terminal" || ok
key q
wait_for '^EXITED 0$'

case_ "progress survived the sessions"
grep -q '^done kitchen$' "$WS/.luasync-progress" && grep -q '^done spawn$' "$WS/.luasync-progress" && ok \
  || fail "progress: $(cat "$WS/.luasync-progress")"

finish
