#!/usr/bin/env bash
# interrupt.sh: Ctrl-C (SIGINT) while a program runs asyncio.run, as Python's
# asyncio.Runner: the first cancels the main task (which cleans up), the
# second interrupts code that never awaits, and luasync exits with 130.
# Real time, generous bounds: each program waits for its signal.
source "$(dirname "$0")/lib.bash"

# launch WORD COMMAND...: starts COMMAND in the background, output in
# $TMP/out and $TMP/stderr, and waits until its stdout shows WORD.
launch() {
  local word=$1
  shift
  : > "$TMP/out"
  "$@" > "$TMP/out" 2> "$TMP/stderr" < /dev/null &
  pid=$!
  for _ in $(seq 500); do
    grep -q "$word" "$TMP/out" 2>/dev/null && return 0
    sleep 0.01
  done
  return 1
}
# Starts luasync on $TMP/$1.lua with SIGINT at its default disposition (a
# background job of a script would otherwise ignore it), until "ready".
start() { launch ready env --default-signal=INT "$LUASYNC" "$TMP/$1.lua"; }
finish_run() {
  wait "$pid" && rc=0 || rc=$?
  out=$(cat "$TMP/out")
  err=$(cat "$TMP/stderr")
}

case_ "Ctrl-C cancels the main task: its <close> variables close, run() raises KeyboardInterrupt"
script sleeper <<'LUA'
asyncio.run(async(function()
  local _ <close> = setmetatable({}, { __close = function() print("cleaned up") end })
  print("ready")
  io.stdout:flush()
  local ok, err = pcall(await, asyncio.sleep(60))
  print("caught " .. tostring(err))
  error(err)  -- let the cancellation go on
end)())
print("not reached")
LUA
start sleeper || fail "never ready"
kill -INT "$pid"
finish_run
expect_rc 130
expect_out "^caught CancelledError"
expect_out "cleaned up"
expect_err "KeyboardInterrupt"
grep -q "not reached" <<<"$out" && fail "the program went on after asyncio.run" || ok

case_ "a main task that handles the cancellation and returns: run() returns, status 0"
script handler <<'LUA'
local r = asyncio.run(async(function()
  print("ready")
  io.stdout:flush()
  local ok = pcall(await, asyncio.sleep(60))
  return ok and "slept" or "stopped early"
end)())
print("run returned " .. r)
LUA
start handler || fail "never ready"
kill -INT "$pid"
finish_run
expect_rc 0
expect_out "run returned stopped early"

case_ "a second Ctrl-C interrupts a loop that never awaits"
script spinner <<'LUA'
asyncio.run(async(function()
  print("ready")
  io.stdout:flush()
  local n = 0
  while true do n = n + 1 end
end)())
LUA
start spinner || fail "never ready"
kill -INT "$pid"
sleep 0.2
kill -0 "$pid" 2>/dev/null && ok || fail "one Ctrl-C ended a loop that never awaits (the first only asks the main task to stop)"
kill -INT "$pid"
finish_run
expect_rc 130
expect_err "KeyboardInterrupt"

case_ "an ignored SIGINT stays ignored (a background job)"
script ignored <<'LUA'
asyncio.run(async(function()
  print("ready")
  io.stdout:flush()
  await(asyncio.sleep(0.5))
  print("finished")
end)())
LUA
launch ready bash -c 'trap "" INT; exec "$0" "$1"' "$LUASYNC" "$TMP/ignored.lua" || fail "never ready"
kill -INT "$pid"
finish_run
expect_rc 0
expect_out "finished"

case_ "luasync httpbin runs until Ctrl-C, then stops quietly"
launch listening env --default-signal=INT "$LUASYNC" httpbin --port 0 || fail "never listening"
kill -INT "$pid"
finish_run
expect_rc 0
expect_out "^httpbin listening on http://127.0.0.1:[0-9]+"
expect_out "^httpbin stopped"
expect_no_err "KeyboardInterrupt"

finish
