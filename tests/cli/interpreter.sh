#!/usr/bin/env bash
# Black-box tests of the luasync command line: options, exit status, errors,
# tracebacks, warnings.
source "$(dirname "$0")/lib.bash"

case_ "version"
run --version
expect_rc 0; expect_out '^luasync [0-9]+\.[0-9]+\.[0-9]+ \(Lua 5\.4'

case_ "help"
run --help
expect_rc 0; expect_out 'usage: luasync'; expect_out '--virtual-time'

case_ "bad option"
run --bogus
expect_rc 2; expect_err "unrecognized option '--bogus'"; expect_err 'usage:'

case_ "-e without code"
run -e
expect_rc 2; expect_err "needs an argument"

case_ "missing file"
run "$TMP/does-not-exist.lua"
expect_rc 2; expect_err 'cannot open .*does-not-exist.lua'

case_ "syntax error shows file:line"
script syntax <<'LUA'
local x = 1
local y = = 2
LUA
run "$TMP/syntax.lua"
expect_rc 1; expect_err 'syntax.lua:2: unexpected symbol'

case_ "arg table and chunk arguments"
script args <<'LUA'
print(arg[0], arg[1], arg[2], #arg, ...)
LUA
run "$TMP/args.lua" one two
expect_rc 0; expect_out "args.lua	one	two	2	one	two"

case_ "-e runs code"
run -e 'print(1 + 1)'
expect_rc 0; expect_out_exact "2"

case_ "script from stdin"
run_stdin 'print("from stdin")' -
expect_rc 0; expect_out_exact "from stdin"

case_ "globals asyncio, async, await and require('asyncio')"
run -e 'print(type(asyncio), async == asyncio.async, await == asyncio.await, require("asyncio") == asyncio)'
expect_out_exact "table	true	true	true"

case_ "virtual time: an hour of sleeping is instant"
script hour <<'LUA'
asyncio.run(async(function()
  await(asyncio.sleep(3600))
  print(asyncio.get_running_loop():time())
end)())
LUA
start=$(date +%s)
run --virtual-time "$TMP/hour.lua"
expect_rc 0; expect_out_exact "3600.0"
[ $(( $(date +%s) - start )) -lt 10 ] && ok || fail "took too long"

case_ "uncaught error: traceback spans the await chain"
script chain <<'LUA'
local inner = async(function() error("boom") end)
local middle = async(function() return await(inner()) end)
local worker = async(function() await(asyncio.sleep(1)); return await(middle()) end)
local main = async(function()
  return await(asyncio.create_task(worker(), "w"))
end)
asyncio.run(main(), {clock = "virtual"})
LUA
run "$TMP/chain.lua"
expect_rc 1
expect_err 'chain.lua:1: boom'
expect_err "chain.lua:1: in coroutine 'inner'"
expect_err "chain.lua:2: in coroutine 'middle'"
expect_err "chain.lua:3: in coroutine 'worker'"
expect_err "task 'w' was awaited by"
expect_err "chain.lua:5: in coroutine 'main'"
expect_err 'chain.lua:7: in main chunk'
expect_no_err 'never retrieved'

case_ "deep awaits: 100,000 deep works; too deep, a clear uncaught 'stack overflow' with a cut traceback"
script deep <<'LUA'
local f
f = async(function(n) if n == 0 then return 0 end return await(f(n - 1)) + 1 end)
print(asyncio.run(f(100000)))
asyncio.run(f(10000000))
LUA
run "$TMP/deep.lua"
expect_rc 1
expect_out_exact "100000"
expect_err '^luasync: .*deep\.lua:2: stack overflow: coroutines awaiting each other nest too deep'
expect_err "deep\.lua:2: in coroutine 'f'"
expect_err '\[previous line repeated [0-9]+ more times\]'
expect_err "deep\.lua:4: in main chunk"
expect_no_err 'C stack overflow'
expect_no_err 'never awaited'
lines=$(wc -l <<<"$err")
[ "$lines" -le 50 ] && ok || fail "traceback of $lines lines, expected it cut to at most 50"

case_ "error values cross awaits unchanged"
script errval <<'LUA'
local E = {code = 42}
local f = async(function() error(E) end)
print(asyncio.run(async(function()
  local ok, e = pcall(await, asyncio.create_task(f()))
  return e == E, e.code
end)()))
LUA
run "$TMP/errval.lua"
expect_rc 0; expect_out_exact "true	42"

case_ "coroutine never awaited warns with its creation line"
script never <<'LUA'
local fetch = async(function() return 1 end)
asyncio.run(async(function()
  fetch()
end)())
LUA
run "$TMP/never.lua"
expect_rc 0; expect_err "never.lua:3: RuntimeWarning: coroutine 'fetch' was never awaited"

case_ "task exception never retrieved"
script unretrieved <<'LUA'
local bad = async(function() error("lost") end)
asyncio.run(async(function()
  asyncio.create_task(bad(), "loser")
  await(asyncio.sleep(0.1))
end)(), {clock = "virtual"})
LUA
run "$TMP/unretrieved.lua"
expect_rc 0; expect_err 'Task exception was never retrieved'; expect_err "name='loser'"; expect_err 'unretrieved.lua:1: lost'

case_ "deadlock is reported, not a hang"
script deadlock <<'LUA'
asyncio.run(async(function()
  local f = asyncio.Future()
  await(f)
end)())
LUA
run "$TMP/deadlock.lua"
expect_rc 1; expect_err 'deadlock'; expect_err 'deadlock.lua:3'

case_ "debug mode reports a blocking call"
script blocking <<'LUA'
asyncio.run(async(function()
  time.sleep(0.3)
end)(), {debug = true})
LUA
run "$TMP/blocking.lua"
expect_rc 0; expect_err 'Executing <Task .*> took 0\.[3-9][0-9]* seconds'

case_ "--debug with virtual time: time.sleep counts as blocking"
run --debug --virtual-time -e 'asyncio.run(async(function() time.sleep(2) end)())'
expect_rc 0; expect_err 'took 2\.000 seconds'

case_ "error whose __tostring fails does not crash"
run -e 'error(setmetatable({}, {__tostring = function() error("nested") end}))'
expect_rc 1; expect_err '__tostring failed'

case_ "await outside a running loop"
run -e 'await(asyncio.sleep(1))'
expect_rc 1; expect_err 'await called outside a running event loop'

case_ "asyncio.run of a function, not a coroutine"
run -e 'asyncio.run(async(function() end))'
expect_rc 1; expect_err "call the async function"

finish
