-- Wrong: asyncio.run inside a coroutine, as a script's top level would; the loop is already running
-- Fails: welcome awaits both greetings
local greet = async(function(name)
  return "Hello, " .. name .. "!"
end)

local welcome = async(function(first, second)
  local a = asyncio.run(greet(first))
  local b = asyncio.run(greet(second))
  return a .. " " .. b
end)

return { greet = greet, welcome = welcome }
