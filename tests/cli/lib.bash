# lib.sh: a tiny harness for black-box tests of the interpreter.
#
#   source lib.bash; LUASYNC=$1
#   script NAME <<'LUA' ... LUA        writes $TMP/NAME.lua
#   run ARGS...                        runs luasync, sets $rc $out $err
#   expect_rc N; expect_out REGEX; expect_err REGEX; expect_no_err REGEX
#   finish                             prints "N passed, M failed", exits 1 on failure
set -u
LUASYNC=${1:?usage: $0 path/to/luasync}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
passed=0
failed=0
current=""

case_() { current=$1; }

script() { cat > "$TMP/$1.lua"; }

run() {
  out=$("$LUASYNC" "$@" 2>"$TMP/stderr" </dev/null) && rc=0 || rc=$?
  err=$(cat "$TMP/stderr")
}

run_stdin() {  # run_stdin INPUT ARGS...
  local input=$1
  shift
  out=$(printf '%s' "$input" | "$LUASYNC" "$@" 2>"$TMP/stderr") && rc=0 || rc=$?
  err=$(cat "$TMP/stderr")
}

ok() { passed=$((passed + 1)); }
fail() {
  failed=$((failed + 1))
  printf 'FAIL [%s] %s\n--- stdout:\n%s\n--- stderr:\n%s\n---\n' "$current" "$1" "$out" "$err"
}

expect_rc() { [ "$rc" -eq "$1" ] && ok || fail "exit status $rc, expected $1"; }
expect_out() { grep -qE -- "$1" <<<"$out" && ok || fail "stdout does not match /$1/"; }
expect_err() { grep -qE -- "$1" <<<"$err" && ok || fail "stderr does not match /$1/"; }
expect_no_err() { grep -qE -- "$1" <<<"$err" && fail "stderr matches /$1/" || ok; }
expect_out_exact() { [ "$out" = "$1" ] && ok || fail "stdout is not exactly: $1"; }

finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}
