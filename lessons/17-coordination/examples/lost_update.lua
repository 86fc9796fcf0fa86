-- Two tasks, one shared counter, and an await in between.
local visits = 0

local count_visit = async(function()
  local seen = visits                  -- read...
  await(asyncio.sleep(0.1))            -- ...(someone else may run here)...
  visits = seen + 1                    -- ...write: based on an old value!
end)

local lock = asyncio.Lock()
local count_visit_locked = async(function()
  local _ <close> = await(lock:hold())  -- one task at a time from here...
  local seen = visits
  await(asyncio.sleep(0.1))
  visits = seen + 1
end)                                    -- ...to here

local run_ten = async(function(fn)
  visits = 0
  local coros = {}
  for i = 1, 10 do coros[i] = fn() end
  await(asyncio.gather(table.unpack(coros)))
  return visits
end)

asyncio.run(async(function()
  print("without a lock: " .. await(run_ten(count_visit)) .. " visits counted")
  print("with a lock:    " .. await(run_ten(count_visit_locked)) .. " visits counted")
end)())
