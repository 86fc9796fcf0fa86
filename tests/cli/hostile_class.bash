# hostile_class.bash: the hostile class of tests/fixtures/hostile-class,
# shared by grade_class.sh (the class in every format) and
# grade_class_layers.sh (the class with each optional sandbox layer turned
# off). Source it after lib.bash.
#
# class_setup makes $CLASS: thirteen honest classmates (twelve with the
# reference solutions byte for byte, so the grader's cache of identical
# files shares their results; one with a comment added to every file, so
# its files are checked afresh), each hostile submission of hostile/ (its
# attacking file, the reference solutions for the rest) and four honest
# ones with hostile names (an escape sequence, a newline, two names that
# differ only in a byte that is not UTF-8). It starts a TCP listener on
# loopback that no check started; the hostile files learn its port.
FIX="$(cd "$(dirname "${BASH_SOURCE[0]}")/../fixtures/hostile-class" && pwd)"
LESSONS="$FIX/lessons"
SOL="$LESSONS/01-class/solutions"
CLASS="$TMP/class"
MARK="$TMP/mark"       # where an escaped attack would leave files
WORK="$TMP/work"       # TMPDIR of the grader: the fs grant's directories
TAG="hostile-class-$$-$RANDOM"  # in the command line of processes the class starts
FULL=11                # points of the lesson
LISTENER=""

class_setup() {
  mkdir -p "$CLASS" "$MARK" "$WORK"
  : > "$TMP/listener.log"
  "$LUASYNC" "$FIX/listener.lua" "$TMP/listener.log" > "$TMP/listener.port" &
  LISTENER=$!
  for _ in $(seq 200); do [ -s "$TMP/listener.port" ] && break; sleep 0.05; done
  PORT=$(cat "$TMP/listener.port")
  local i d f
  for i in $(seq -w 1 12); do mkdir "$CLASS/honest-$i" && cp "$SOL"/*.lua "$CLASS/honest-$i/"; done
  mkdir "$CLASS/honest-13"
  for f in "$SOL"/*.lua; do { cat "$f"; echo "-- my own version"; } > "$CLASS/honest-13/$(basename "$f")"; done
  for d in "$FIX"/hostile/*/; do
    local name
    name=$(basename "$d")
    mkdir "$CLASS/$name"
    cp "$SOL"/*.lua "$CLASS/$name/"
    for f in "$d"*.lua; do
      sed -e "s|@PORT@|$PORT|g" -e "s|@MARK@|$MARK|g" -e "s|@SUB@|$CLASS/$name|g" -e "s|@TAG@|$TAG|g" \
        "$f" > "$CLASS/$name/$(basename "$f")"
    done
    cp "$d/expected" "$CLASS/$name/expected"
  done
  # The shared library of ld-preload: it would kill the grader's process
  # group and leave a mark, if it were ever loaded.
  if command -v cc >/dev/null; then
    printf '#include <signal.h>\n#include <fcntl.h>\n__attribute__((constructor)) static void pwn(void) {\n  open("%s/preloaded", O_CREAT | O_WRONLY, 0600);\n  kill(0, SIGKILL);\n}\n' \
      "$MARK" > "$TMP/evil.c"
    cc -shared -fPIC -o "$CLASS/ld-preload/evil.so" "$TMP/evil.c"
  fi
  # Honest classmates with hostile names, and how the report must show them
  # (escaped, distinct: escape.h).
  SHOWN=()
  local names=($'esc-\e[31mred\e]0;title\a' $'nl-first\nsecond' $'bytes-a\xff' $'bytes-a\xfe')
  local shown=('esc-\x1b[31mred\x1b]0;title\x07' 'nl-first\nsecond' 'bytes-a\xff' 'bytes-a\xfe')
  for i in 0 1 2 3; do
    mkdir "$CLASS/${names[$i]}" && cp "$SOL"/*.lua "$CLASS/${names[$i]}/"
    SHOWN+=("${names[$i]}" "${shown[$i]}")
  done
  SNAPSHOT=$(class_snapshot)
}

class_snapshot() { (cd "$CLASS" && find . -printf '%p %y %s %l\n' | sort && find . -type f -exec sha256sum {} + | sort); }

class_teardown() {
  [ -n "$LISTENER" ] && kill "$LISTENER" 2>/dev/null && wait "$LISTENER" 2>/dev/null
  LISTENER=""
}

# grade_class NAME [VAR=VALUE...]: grades the class into $TMP/NAME.json
# (--no-timing), stderr in $TMP/NAME.err; sets $rc. In a session of its
# own: if an attack ever got through and signalled the grader's process
# group, this test would fail instead of being killed with it.
grade_class() {
  local name=$1
  shift
  setsid -w env "$@" TMPDIR="$WORK" "$LUASYNC" grade --lessons "$LESSONS" --format json --no-timing --jobs 2 \
    -o "$TMP/$name.json" "$CLASS" 2>"$TMP/$name.err" && rc=0 || rc=$?
}

# check_class NAME [LAYER]: every honest submission has full marks; every
# hostile one fails exactly the exercises its `expected` names, each with a
# matching reason (an "EX: any" line lets that exercise pass or fail), and
# has the `score:` it gives, if any. With LAYER (a sandbox layer turned
# off), the expected file's "off LAYER: EX: ..." lines replace its "EX: ..."
# lines.
check_class() {
  local report="$TMP/$1.json" off=${2:-} d name want got ex re line msgs bad status k
  jq -e . "$report" >/dev/null || { fail "$1: the report is not JSON"; return; }
  [ "$(jq '.submissions | length' "$report")" = "$(find "$CLASS" -mindepth 1 -maxdepth 1 -type d -printf x | wc -c)" ] &&
    ok || fail "$1: not every submission is in the report"
  for d in "$CLASS"/*/; do
    name=$(basename "$d")
    # The report's name for it: escaped.
    local shown=$name
    for ((k = 0; k < ${#SHOWN[@]}; k += 2)); do [ "${SHOWN[$k]}" = "$name" ] && shown=${SHOWN[$((k + 1))]}; done
    local sub="$CLASS/$shown"
    got=$(jq -r --arg p "$sub" '.submissions[] | select(.submission == $p) | .score' "$report")
    if [ ! -e "$d/expected" ]; then
      [ "$got" = "$FULL" ] && ok || fail "$1: honest $name scored '$got', not $FULL"
      continue
    fi
    local -A expect=()
    want=""
    while IFS= read -r line; do
      case $line in
        "score: "*) want=${line#score: } ;;
        "off $off: "*) [ -n "$off" ] && line=${line#off $off: } && expect[${line%%: *}]=${line#*: } ;;
        off\ *) ;;
        *) [ -z "${expect[${line%%: *}]+x}" ] && expect[${line%%: *}]=${line#*: } ;;
      esac
    done < "$d/expected"
    [ -z "$want" ] || [ "$got" = "$want" ] && ok || fail "$1: $name scored $got, expected $want"
    while read -r ex status; do
      if [ -z "${expect[$ex]+x}" ]; then
        # A hostile file costs only its own exercise.
        [ "$status" = passed ] && ok || fail "$1: $name: $ex is $status: a hostile file cost another exercise"
        continue
      fi
      re=${expect[$ex]}
      [ "$re" = any ] && continue
      msgs=$(jq -r --arg p "$sub" --arg e "$ex" '.submissions[] | select(.submission == $p) | .exercises[] |
               select(.name == $e) | .checks[] | select(.status == "failed") | .message | gsub("\n"; " ")' "$report")
      [ -n "$msgs" ] || { fail "$1: $name: $ex has no failed check (expected /$re/)"; continue; }
      bad=$(grep -vE -- "$re" <<<"$msgs" || true)
      [ -z "$bad" ] && ok || fail "$1: $name: $ex: a message does not match /$re/: $bad"
    done < <(jq -r --arg p "$sub" '.submissions[] | select(.submission == $p) | .exercises[] | "\(.name) \(.status)"' "$report")
    unset expect
  done
}

# check_clean NAME: nothing escaped: the listener saw no connection, no
# file appeared outside the sandbox or changed in the class, the fs grant's
# directories are gone, and no process the class started is still running.
check_clean() {
  [ -s "$TMP/listener.log" ] && fail "$1: the listener saw $(wc -l < "$TMP/listener.log") connection(s)" || ok
  [ -z "$(ls -A "$MARK")" ] && ok || fail "$1: files outside the sandbox: $(ls -A "$MARK")"
  [ -z "$(ls -A "$WORK")" ] && ok || fail "$1: the fs grant's directories are left: $(ls -A "$WORK")"
  [ "$(class_snapshot)" = "$SNAPSHOT" ] && ok || fail "$1: the class changed: $(diff <(echo "$SNAPSHOT") <(class_snapshot) | head)"
  local left
  left=$(ps -eo pid=,args= | grep -F -- "$TAG" | grep -v grep || true)
  [ -z "$left" ] && ok || fail "$1: processes survived: $left"
  kill -0 "$LISTENER" 2>/dev/null && ok || fail "$1: the listener is gone (killed from the sandbox?)"
}
