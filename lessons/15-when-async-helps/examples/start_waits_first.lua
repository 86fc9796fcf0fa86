-- Computation can overlap with waiting, if the waiting starts first.
local function now()
  return string.format("%.1f", asyncio.get_running_loop():time())
end

local fetch_prices = async(function()
  await(asyncio.sleep(3))              -- a slow web service
  return "prices"
end)

local function crunch_history()
  time.sleep(2)                        -- stands in for 2 s of pure computation
  return "history"
end

asyncio.run(async(function()
  local loop = asyncio.get_running_loop()

  local start = loop:time()
  local history = crunch_history()                 -- compute first...
  local prices = await(fetch_prices())             -- ...then start waiting
  print(string.format("compute, then wait: %.1f s", loop:time() - start))

  start = loop:time()
  local pending = asyncio.create_task(fetch_prices())  -- start the wait...
  await(asyncio.sleep(0))                           -- ...let it send its request...
  history = crunch_history()                        -- ...compute while it waits
  prices = await(pending)
  print(string.format("wait, and compute meanwhile: %.1f s", loop:time() - start))
end)())
