#!/usr/bin/env bash
# REPL commands (:help, :tasks, :clock, :load, :reset), fed through a pipe.
source "$(dirname "$0")/../lib.bash"

script lib <<'LUA'
#!/usr/bin/env luasync
local function triple(x) return x * 3 end
local main = async(function()
  await(asyncio.sleep(0.01))
  print("main ran", triple(2))
  return "main result"
end)
print(asyncio.run(main()))
LUA

case_ ":help"
run_stdin ':help
'
expect_rc 0; expect_out ':tasks'; expect_out ':clock'; expect_out ':load FILE'; expect_out ':reset'

case_ ":tasks shows each task, its state, what it awaits and where"
run_stdin 'local fut = asyncio.Future()
local waiter = async(function() return await(fut) end)
local sleeper = async(function() await(asyncio.sleep(50)) end)
w = asyncio.create_task(waiter(), "the-waiter"); s = asyncio.create_task(sleeper())
await(asyncio.sleep(0))
:tasks
w:cancel(); s:cancel(); await(asyncio.sleep(0))
:tasks
'
expect_rc 0
expect_out '^2 tasks$'
expect_out "^  the-waiter  \(awaiting <Future pending>\)  waiter\(\) at stdin:1$"
expect_out "^      stdin:1: in coroutine 'waiter'$"
expect_out "^  Task-2  \(sleeping\)  sleeper\(\) at stdin:1$"
expect_out "^      stdin:1: in coroutine 'sleeper'$"
expect_out '^no tasks$'

case_ ":clock switches to virtual time and back, time continuous"
run_stdin 'loop = asyncio.get_running_loop()
:clock virtual
t0 = loop:time(); s = os.clock()
await(asyncio.sleep(3600)); loop:time() - t0, os.clock() - s < 1
:clock
:clock bogus
'
expect_rc 0
expect_out '^clock: virtual \(loop time [0-9.]+\)$'
expect_out '^3600\.0	true$'
expect_out '^clock: real \(loop time [0-9.]+\)$'
expect_err '^usage: :clock \[real\|virtual\]$'

case_ "--virtual-time starts on the virtual clock"
run_stdin 'await(asyncio.sleep(7200)); asyncio.get_running_loop():time()
' --virtual-time
expect_rc 0; expect_out_exact '7200.0'

case_ ":load runs a file in the session (asyncio.run awaits on the REPL loop; locals kept)"
run_stdin ":load $TMP/lib.lua
triple(5)
:load $TMP/missing.lua
"
expect_rc 0
expect_out_exact 'main ran	6
main result
15'
expect_err 'cannot open .*missing.lua'

case_ ":reset cancels tasks and starts a fresh state"
run_stdin 'x = 5
local y = 6
t = asyncio.create_task(async(function() local ok, e = pcall(await, asyncio.sleep(100)); print("task:", e) end)())
await(asyncio.sleep(0))
:reset
x, y, t
asyncio.create_task(asyncio.sleep(1)):get_name()
'
expect_rc 0
expect_out '^task:	CancelledError$'
expect_out '^\(fresh state: tasks cancelled, variables cleared\)$'
expect_out '^nil	nil	nil$'
expect_out '^"Task-1"$'

case_ "unknown command"
run_stdin ':frobnicate
'
expect_rc 0; expect_err "unknown command ':frobnicate'"
finish
