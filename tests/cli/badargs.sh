#!/usr/bin/env bash
# The bad-argument sweep (issue 11): badargs_sweep.lua calls every function
# and method reachable from Lua with missing, extra and wrong-typed arguments
# and wrong selves. It fails on a crash (a signal), on any exit that is not
# the script's own, on an unclear error, and on any sanitizer report (the
# ASan/UBSan/LSan build runs it too).
source "$(dirname "$0")/lib.bash"
SWEEP="$(cd "$(dirname "$0")" && pwd)/badargs_sweep.lua"

case_ "every function and method, bad arguments: clear errors, no crash, no sanitizer report"
# fs and subprocess calls touch the current directory: a fresh one.
out=$(cd "$TMP" && "$LUASYNC" "$SWEEP" 2>"$TMP/stderr" </dev/null) && rc=0 || rc=$?
err=$(cat "$TMP/stderr")
out=$(grep -v '^No stack for' <<<"$out")  # print_stack() on finished tasks
expect_rc 0
expect_out '^swept [0-9]+ functions'
expect_out '^ok$'
expect_no_err 'AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:'
expect_no_err 'PANIC|Segmentation|Aborted'

finish
