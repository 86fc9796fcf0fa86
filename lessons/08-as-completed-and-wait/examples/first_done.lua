-- wait: stop at the first finished task, then decide about the rest.
local function now()
  return string.format("%.1f", asyncio.get_running_loop():time())
end

local ask = async(function(server, seconds)
  await(asyncio.sleep(seconds))
  return server .. " says 42"
end)

asyncio.run(async(function()
  local tasks = {
    asyncio.create_task(ask("paris", 3), "paris"),
    asyncio.create_task(ask("tokyo", 1), "tokyo"),
    asyncio.create_task(ask("lima", 2), "lima"),
  }
  local done, pending = await(asyncio.wait(tasks, { return_when = "FIRST_COMPLETED" }))
  for task in pairs(done) do
    print(now(), "first answer: " .. task:result())
  end
  for task in pairs(pending) do
    task:cancel()                         -- we no longer need these
  end

  -- With a timeout, wait returns whatever is done by then.
  local slow = asyncio.create_task(ask("moon", 10), "moon")
  done, pending = await(asyncio.wait({ slow }, { timeout = 2 }))
  print(now(), "after the timeout: done " .. (next(done) and "yes" or "no")
    .. ", still pending: " .. (pending[slow] and slow:get_name() or "nothing"))
  slow:cancel()
end)())
