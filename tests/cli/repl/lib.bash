# lib.bash: drive the REPL through a pseudo-terminal with tmux, for the
# black-box tests in this directory.
#
#   source "$(dirname "$0")/lib.bash"     (the test's $1 is the luasync binary)
#   start [ARGS...]        a fresh REPL in a private tmux server, 100x40
#   text TEXT              types TEXT literally;   key NAME...  presses keys (Enter, C-c, Tab, Up)
#   line TEXT              types TEXT and presses Enter
#   wait_screen REGEX      waits until the screen (scrollback included) matches
#   wait_last REGEX        waits until the last non-empty screen line matches
#   wait_prompt            waits for an empty "> " prompt on the last line
#   wait_result REGEX      waits for a new prompt right after a line matching REGEX
#   wait_exit              waits until the REPL has exited
#   check NAME COMMAND...  runs a check and counts it; finish reports and sets the status
#
# Waits poll every 50 ms for up to $WAIT seconds (default 20): no fixed sleeps.
# A wait that times out ends the test (what follows depends on it).
# Each test runs its own tmux server (-L) and kills it on exit; the history
# file is a temporary one (LUASYNC_HISTORY).
set -u
LUASYNC=${1:?usage: $0 path/to/luasync}
LUASYNC=$(cd "$(dirname "$LUASYNC")" && pwd)/$(basename "$LUASYNC")
if ! command -v tmux >/dev/null; then
  echo "tmux is not installed (Debian package tmux)"
  exit 1
fi
WAIT=${WAIT:-20}
TMP=$(mktemp -d)
SOCK_BASE="luasync-repl-test-$$"
SOCK="$SOCK_BASE-0"
starts=0
HISTFILE_="$TMP/history"
passed=0
failed=0

tmx() { tmux -L "$SOCK" -f /dev/null "$@"; }
cleanup() {
  local i
  for ((i = 0; i <= starts; i++)); do tmux -L "$SOCK_BASE-$i" kill-server 2>/dev/null; done
  rm -rf "$TMP"
}
trap cleanup EXIT

start() {
  tmx kill-server 2>/dev/null
  starts=$((starts + 1))
  SOCK="$SOCK_BASE-$starts"  # a new server for each session
  # remain-on-exit keeps the pane (and its last screen) when the REPL exits.
  tmx new-session -d -s repl -x 100 -y 40 \
    "env LUASYNC_HISTORY='$HISTFILE_' TERM=xterm-256color INPUTRC=/dev/null $LUASYNC $*; echo '[exited '\$?']'; sleep 600"
  wait_prompt
}

text() { tmx send-keys -t repl -l -- "$1"; }
key() { tmx send-keys -t repl "$@"; }
line() {
  text "$1"
  key Enter
}

# The screen, scrollback included, wrapped lines joined, trailing blanks dropped.
screen() {
  tmx capture-pane -p -J -S -2000 -t repl 2>/dev/null | sed -e 's/[[:space:]]*$//' | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}'
}
last_line() { screen | grep -v '^$' | tail -n 1; }

_wait() {  # _wait DESCRIPTION COMMAND...
  local what=$1
  shift
  local deadline=$((SECONDS + WAIT))
  while ((SECONDS < deadline)); do
    if "$@"; then
      passed=$((passed + 1))
      return 0
    fi
    sleep 0.05
  done
  failed=$((failed + 1))
  printf 'FAIL: timed out waiting for %s\n--- screen:\n%s\n---\n' "$what" "$(screen)"
  finish
  exit 1
}
_screen_has() { screen | grep -qE -- "$1"; }
_last_is() { last_line | grep -qE -- "$1"; }
_result_is() {
  local two
  two=$(screen | grep -v '^$' | tail -n 2)
  [ "$(tail -n 1 <<<"$two")" = ">" ] && head -n 1 <<<"$two" | grep -qE -- "$1"
}
_exited() { screen | grep -qE '^\[exited [0-9]+\]$'; }

wait_screen() { _wait "screen to match /$1/" _screen_has "$1"; }
wait_last() { _wait "last line to match /$1/" _last_is "$1"; }
wait_prompt() { wait_last '^>$'; }
wait_result() { _wait "/$1/ then a prompt" _result_is "$1"; }
wait_exit() { _wait "the REPL to exit" _exited; }

check() {  # check NAME COMMAND...: counts a pass or a failure
  local name=$1
  shift
  if "$@"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    printf 'FAIL: %s\n--- screen:\n%s\n---\n' "$name" "$(screen)"
  fi
}

# Counts the lines of the screen that match REGEX.
count_lines() { screen | grep -cE -- "$1"; }

finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}
