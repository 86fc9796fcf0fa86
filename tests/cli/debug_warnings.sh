#!/usr/bin/env bash
# Debug-mode warnings of the runtime's Lua-facing side:
# - the swallowed cancellation: a task is cancelled, a pcall catches the
#   CancelledError, and the task goes on instead of re-raising it or calling
#   uncancel(). The warning names the task and the pcall's file:line; every
#   correct way of handling a cancellation stays quiet;
# - an asyncio.timeout() scope never closed (no <close>).
source "$(dirname "$0")/lib.bash"
W='RuntimeWarning: .* was cancelled, and the pcall at'

case_ "caught and returned normally: warned, with the pcall's line"
script returned <<'LUA'
local worker = async(function()
  local ok = pcall(await, asyncio.sleep(10))
  return "carried on"
end)
asyncio.run(async(function()
  local t = asyncio.create_task(worker())
  await(asyncio.sleep(1))
  t:cancel()
  print(await(t))
end)(), {debug = true, clock = "virtual"})
LUA
run "$TMP/returned.lua"
expect_rc 0; expect_out '^carried on$'
expect_err "returned.lua:2: $W .*returned.lua:2 caught the CancelledError, but the task returned normally"
expect_err "worker\(\) at .*returned.lua:1"

case_ "the same without debug mode: silent"
run --virtual-time -e "$(sed 's/debug = true, //' "$TMP/returned.lua")"
expect_rc 0; expect_no_err 'RuntimeWarning'

case_ "luasync --debug turns it on"
run --debug --virtual-time -e "$(sed 's/debug = true, //' "$TMP/returned.lua")"
expect_rc 0; expect_err "$W"

case_ "cleanup with awaits, then re-raised: silent"
script reraised <<'LUA'
local worker = async(function()
  local ok, err = pcall(await, asyncio.sleep(10))
  if not ok then
    await(asyncio.sleep(1))          -- cleanup that waits
    local ok2 = pcall(error, "x")    -- and catches something else meanwhile
    error(err, 0)
  end
end)
asyncio.run(async(function()
  local t = asyncio.create_task(worker())
  await(asyncio.sleep(1))
  t:cancel()
  print(pcall(await, t))
  print(t:cancelled())
end)(), {debug = true, clock = "virtual"})
LUA
run "$TMP/reraised.lua"
expect_rc 0; expect_out '^true$'; expect_no_err 'RuntimeWarning'

case_ "uncancel() stops the cancellation on purpose: silent"
script uncancel <<'LUA'
local worker = async(function()
  local ok = pcall(await, asyncio.sleep(10))
  if not ok then asyncio.current_task():uncancel() end
  return "stopped on purpose"
end)
asyncio.run(async(function()
  local t = asyncio.create_task(worker())
  await(asyncio.sleep(1))
  t:cancel()
  print(await(t))
end)(), {debug = true, clock = "virtual"})
LUA
run "$TMP/uncancel.lua"
expect_rc 0; expect_out '^stopped on purpose$'; expect_no_err 'RuntimeWarning'

case_ "a loop that swallows every cancellation: warned when it catches the next one"
script forever <<'LUA'
local worker = async(function()
  while true do
    pcall(await, asyncio.sleep(1))
  end
end)
asyncio.run(async(function()
  local t = asyncio.create_task(worker())
  await(asyncio.sleep(1.5))
  t:cancel()
  await(asyncio.sleep(3))
  t:cancel()
  await(asyncio.sleep(3))
  print("still running:", not t:done())
  asyncio.current_task():uncancel()
end)(), {debug = true, clock = "virtual"})
LUA
timeout 10 "$LUASYNC" "$TMP/forever.lua" >"$TMP/out" 2>"$TMP/stderr" </dev/null; rc=$?
out=$(cat "$TMP/out"); err=$(head -c 4000 "$TMP/stderr")
expect_out '^still running:	true$'
expect_err "forever.lua:3: $W .*forever.lua:3 caught the CancelledError, but the task went on and was cancelled again"

case_ "ended by a later cancellation than the one it caught: warned"
script later <<'LUA'
local ev = asyncio.Event()
local worker = async(function()
  pcall(await, asyncio.sleep(10))
  await(ev:wait())
end)
asyncio.run(async(function()
  local t = asyncio.create_task(worker())
  await(asyncio.sleep(1))
  t:cancel()
  await(asyncio.sleep(1))
  t:cancel()
  print(pcall(await, t))
end)(), {debug = true, clock = "virtual"})
LUA
run "$TMP/later.lua"
expect_rc 0; expect_out '^false'
expect_err "later.lua:3: $W .*went on until it was cancelled again"

case_ "failed with another error after swallowing: warned"
script other <<'LUA'
local worker = async(function()
  pcall(await, asyncio.sleep(10))
  error("something else")
end)
asyncio.run(async(function()
  local t = asyncio.create_task(worker())
  await(asyncio.sleep(1))
  t:cancel()
  print(pcall(await, t))
end)(), {debug = true, clock = "virtual"})
LUA
run "$TMP/other.lua"
expect_rc 0; expect_err "other.lua:2: $W .*failed with another error"

case_ "xpcall with a message handler: warned"
script xp <<'LUA'
local worker = async(function()
  local ok, tb = xpcall(await, debug.traceback, asyncio.sleep(10))
  return type(tb)
end)
asyncio.run(async(function()
  local t = asyncio.create_task(worker())
  await(asyncio.sleep(1))
  t:cancel()
  print(await(t))
end)(), {debug = true, clock = "virtual"})
LUA
run "$TMP/xp.lua"
expect_rc 0; expect_err "xp.lua:2: $W"

case_ "re-raised by an inner pcall, kept by an outer one: the outer one is named"
script nested <<'LUA'
local inner = async(function()
  local ok, err = pcall(await, asyncio.sleep(10))
  error(err, 0)
end)
local worker = async(function()
  local ok = pcall(await, inner())
  return "kept"
end)
asyncio.run(async(function()
  local t = asyncio.create_task(worker())
  await(asyncio.sleep(1))
  t:cancel()
  await(t)
end)(), {debug = true, clock = "virtual"})
LUA
run "$TMP/nested.lua"
expect_rc 0; expect_err "nested.lua:6: $W"; expect_no_err 'nested.lua:2: RuntimeWarning'

case_ "inside an asyncio.timeout() block: the deadline's cancellation swallowed"
script scope <<'LUA'
asyncio.run(async(function()
  do
    local _ <close> = asyncio.timeout(1)
    pcall(await, asyncio.sleep(5))
  end
  print("went on at", asyncio.get_running_loop():time())
end)(), {debug = true, clock = "virtual"})
LUA
run "$TMP/scope.lua"
expect_rc 0; expect_out '^went on at	1.0$'
expect_err "scope.lua:4: $W .*went on inside the block whose deadline or task group cancelled it"

case_ "timeouts, wait_for, gather, TaskGroup, locks used correctly: silent"
script fine <<'LUA'
local slow = async(function(s) await(asyncio.sleep(s)); return s end)
asyncio.run(async(function()
  -- a timeout that fires, caught as TimeoutError
  local ok, err = pcall(await, asyncio.wait_for(slow(5), 1))
  assert(asyncio.TimeoutError:is(err))
  do
    local ok2 = pcall(function()
      local _ <close> = asyncio.timeout(1)
      await(asyncio.sleep(5))
    end)
    assert(not ok2)
  end
  -- a child's cancellation caught by a task that is not itself cancelled
  local child = asyncio.create_task(slow(10))
  await(asyncio.sleep(0))
  child:cancel()
  assert(not pcall(await, child))
  -- a task group whose child fails
  local tg_ok = pcall(function()
    local tg <close> = asyncio.TaskGroup()
    tg:create_task(slow(5))
    tg:create_task(async(function() await(asyncio.sleep(1)); error("boom") end)())
  end)
  assert(not tg_ok)
  -- a lock waited for while being cancelled, and cleanup that re-raises
  local lock = asyncio.Lock()
  await(lock:acquire())
  local waiter = asyncio.create_task(async(function()
    local ok3, e = pcall(await, lock:acquire())
    if not ok3 then error(e, 0) end
  end)())
  await(asyncio.sleep(0))
  waiter:cancel()
  assert(not pcall(await, waiter))
  print("all fine")
end)(), {debug = true, clock = "virtual"})
LUA
run "$TMP/fine.lua"
expect_rc 0; expect_out '^all fine$'; expect_no_err 'RuntimeWarning'

case_ "a timeout scope without <close>: warned where it was entered"
script unclosed <<'LUA'
local slow = async(function(s) await(asyncio.sleep(s)); return s end)
asyncio.run(async(function()
  local scope = asyncio.timeout(2)
  print(await(slow(1)))
  local ok, err = pcall(await, asyncio.sleep(5))
  print(ok, err)
end)(), {debug = true, clock = "virtual"})
LUA
run "$TMP/unclosed.lua"
expect_rc 0
expect_err "unclosed.lua:3: RuntimeWarning: the asyncio.timeout\(\) scope entered here was never closed: without <close>"

case_ "closed scopes, expired or not, and wait_for: silent"
script closed <<'LUA'
asyncio.run(async(function()
  do local _ <close> = asyncio.timeout(2); await(asyncio.sleep(1)) end
  print(pcall(function() local _ <close> = asyncio.timeout_at(3); await(asyncio.sleep(5)) end))
  print(pcall(await, asyncio.wait_for(asyncio.sleep(5), 1)))
end)(), {debug = true, clock = "virtual"})
LUA
run "$TMP/closed.lua"
expect_rc 0; expect_no_err 'RuntimeWarning'; expect_out '^false	TimeoutError'

case_ "pcall and xpcall still behave as Lua's"
run -e 'print(pcall(error, "e", 0)); print(pcall(function(...) return ... end, 1, nil, 3)); print(xpcall(error, function(m) return "h:" .. m end, "x", 0)); print(select("#", pcall(print))); print(pcall(pcall)); print(pcall(xpcall, print)); print(asyncio.pcall == pcall, asyncio.xpcall == xpcall)'
expect_rc 0
expect_out_exact "$(printf 'false\te\ntrue\t1\tnil\t3\nfalse\th:x\n\n1\nfalse\tbad argument #1 to '"'"'pcall'"'"' (value expected)\nfalse\tbad argument #2 to '"'"'xpcall'"'"' (function expected, got no value)\ntrue\ttrue')"

finish
