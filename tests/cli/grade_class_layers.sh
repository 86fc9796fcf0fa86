#!/usr/bin/env bash
# Defence in depth (issue 12): the hostile class of grade_class.sh graded
# again with each optional layer of the sandbox turned off
# (LUASYNC_SANDBOX_DISABLE), to prove that the others still hold: every
# hostile submission still fails only its own exercise, honest classmates
# keep full marks, nothing outside the sandbox changes, no process survives,
# the local listener sees no connection; and the grader says which layer is
# off, on stderr.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/hostile_class.bash"
trap 'class_teardown; rm -rf "$TMP"' EXIT
out="" err=""
class_setup

for layer in rlimits capabilities landlock seccomp netns socket-check; do
  case_ "the class without $layer"
  grade_class "off-$layer" LUASYNC_SANDBOX_DISABLE=$layer
  err=$(cat "$TMP/off-$layer.err")
  expect_rc 0
  expect_err "warning: sandbox layer $layer is turned off"
  check_class "off-$layer" "$layer"
  check_clean "off-$layer"
done

finish
