-- The seed's event-loop example: three workers of 2, 1 and 3 seconds, started
-- together; B finishes at 1 s, A at 2 s, C at 3 s.
local worker = async(function(name, work_time)
  print("Worker " .. name .. " started")
  await(asyncio.sleep(work_time))
  print(("Worker %s finished after %ds"):format(name, work_time))
  return "Result from " .. name
end)

local main = async(function()
  print("Creating tasks...")
  local task1 = asyncio.create_task(worker("A", 2))
  local task2 = asyncio.create_task(worker("B", 1))
  local task3 = asyncio.create_task(worker("C", 3))
  print("All tasks created, now waiting for completion...")
  local results = await(asyncio.gather(task1, task2, task3))
  print("All workers finished: " .. table.concat(results, ", "))
end)

asyncio.run(main())
