-- Your own awaitable: a metatable with __await.
local function now()
  return string.format("%.1f", asyncio.get_running_loop():time())
end

local bake = async(function(pizza, seconds)
  await(asyncio.sleep(seconds))
  return pizza .. " pizza"
end)

local Order = {}
Order.__index = Order

-- `await(order)` calls this and awaits whatever it returns.
Order.__await = function(self)
  return bake(self.pizza, self.seconds)
end

local function order(pizza, seconds)
  return setmetatable({ pizza = pizza, seconds = seconds }, Order)
end

asyncio.run(async(function()
  local one = await(order("margherita", 2))
  print(now(), "got a " .. one)

  -- gather accepts them too, like any other awaitable
  local both = await(asyncio.gather(order("funghi", 1), order("diavola", 3)))
  print(now(), "got a " .. both[1] .. " and a " .. both[2])
end)())
