-- Awaiting bare coroutines one by one, versus starting tasks first.
local job = async(function(seconds)
  await(asyncio.sleep(seconds))
  return seconds
end)

asyncio.run(async(function()
  local loop = asyncio.get_running_loop()

  local start = loop:time()
  local a, b = job(2), job(3)         -- coroutine objects: nothing runs yet
  await(a)                            -- a runs now: 2 s
  await(b)                            -- only now does b start: 3 s more
  print(string.format("bare coroutines: %.1f s", loop:time() - start))

  start = loop:time()
  local ta = asyncio.create_task(job(2))  -- scheduled: starts as soon as main lets go
  local tb = asyncio.create_task(job(3))
  await(ta)                           -- while we wait for ta, tb is waiting too
  await(tb)                           -- so only 1 s is left here
  print(string.format("tasks: %.1f s", loop:time() - start))
end)())
