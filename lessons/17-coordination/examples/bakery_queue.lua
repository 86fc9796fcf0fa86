-- A queue between a baker (producer) and two sellers (consumers).
local function now()
  return string.format("%.1f", asyncio.get_running_loop():time())
end

local baker = async(function(shelf, loaves)
  for i = 1, loaves do
    await(asyncio.sleep(0.5))                 -- baking takes 0.5 s
    if shelf:full() then
      print(now(), "baker waits: the shelf is full")
    end
    await(shelf:put("loaf " .. i))            -- waits while the shelf is full
    print(now(), "baker puts loaf " .. i .. " on the shelf")
  end
end)

local seller = async(function(name, shelf)
  while true do
    local loaf = await(shelf:get())           -- waits while the shelf is empty
    print(now(), name .. " sells " .. loaf)
    await(asyncio.sleep(3))                   -- a customer takes their time
    shelf:task_done()
  end
end)

asyncio.run(async(function()
  local shelf = asyncio.Queue(2)              -- room for 2 loaves
  local sellers = {
    asyncio.create_task(seller("Ana", shelf)),
    asyncio.create_task(seller("Ben", shelf)),
  }
  await(baker(shelf, 6))
  await(shelf:join())                         -- until every loaf is sold
  print(now(), "sold out")
  for _, s in ipairs(sellers) do s:cancel() end
end)())
