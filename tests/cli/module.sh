#!/usr/bin/env bash
# require("asyncio") from a stock lua5.4 interpreter, through build/lua/asyncio.so.
source "$(dirname "$0")/lib.bash"
MODDIR="$(cd "$(dirname "$LUASYNC")" && pwd)/lua"
LUA=$(command -v lua5.4) || { echo "lua5.4 is not installed (dev.sh installs it)"; exit 1; }

runlua() {
  out=$(LD_PRELOAD="${LUASYNC_PRELOAD:-}" "$LUA" -e "package.cpath='$MODDIR/?.so;'..package.cpath" "$@" 2>"$TMP/stderr") && rc=0 || rc=$?
  err=$(cat "$TMP/stderr")
}

case_ "gather on the virtual clock"
runlua -e '
local asyncio = require("asyncio")
local f = asyncio.async(function(x) asyncio.await(asyncio.sleep(x)); return x * 10 end)
local r, t = asyncio.run(asyncio.async(function()
  local r = asyncio.await(asyncio.gather(f(1), f(3), f(2)))
  return r[1] + r[2] + r[3], asyncio.get_running_loop():time()
end)(), {clock = "virtual"})
print(r, t, require("asyncio") == asyncio)'
expect_rc 0; expect_out_exact "60	3.0	true"

case_ "errors propagate to pcall, and the runtime stays usable"
runlua -e '
local asyncio = require("asyncio")
print(pcall(asyncio.run, asyncio.async(function() error("boom", 0) end)()))
print(asyncio.run(asyncio.async(function() return "again" end)()))'
expect_rc 0; expect_out "false	boom"; expect_out "again"

finish
