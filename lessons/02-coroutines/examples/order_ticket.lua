-- Calling a coroutine function writes an order ticket; nothing is cooked yet.
local brew = async(function(drink)
  print("brewing " .. drink)
  await(asyncio.sleep(1))
  return drink .. " is ready"
end)

print("brew is a coroutine function:", asyncio.iscoroutinefunction(brew))

local ticket = brew("tea")        -- the body does NOT run here
print("ticket is a coroutine object:", asyncio.iscoroutine(ticket))
print("so far, nothing was brewed")

local answer = asyncio.run(ticket) -- now the body runs, to the end
print(answer)
