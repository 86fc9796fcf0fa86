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

# The same for code that is not ours: --check-sandbox confines a child with
# every grant and tries native attacks. With one layer off, the others
# still stop each attack, but for the one only that layer stops (a write
# outside WORKDIR where file permissions allow it: Landlock; a connection to
# another loopback server: the network namespace).
run grade --check-sandbox
if grep -qE 'UNAVAILABLE|OFF' <<<"$out"; then
  echo "(a sandbox layer is unavailable here: the native-attack matrix is skipped)"
else
  for layer in rlimits capabilities landlock seccomp netns socket-check; do
    case_ "--check-sandbox without $layer"
    out=$(LUASYNC_SANDBOX_DISABLE=$layer "$LUASYNC" grade --check-sandbox 2>&1) && rc=0 || rc=$?
    expect_rc 0
    expect_out "^  $layer +OFF"
    expect_out "^warning: sandbox layer $layer is turned off"
    allowed='^$'
    [ "$layer" = landlock ] && allowed='^write outside WORKDIR$'
    [ "$layer" = netns ] && allowed='^connect to a server outside$'
    through=$(sed -n 's/^  \(.*\) NOT STOPPED.*/\1/p' <<<"$out")
    bad=$(grep -vE "$allowed" <<<"$through" || true)
    [ -z "$bad" ] && ok || fail "got through without $layer: $bad"
    expect_out 'write inside WORKDIR allowed'
  done
fi

finish
