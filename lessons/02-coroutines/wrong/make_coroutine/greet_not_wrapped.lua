-- Wrong: awaits in welcome but never wraps greet with async
-- Fails: greet is a coroutine function
-- Fails: calling greet makes a coroutine object
local greet = function(name)
  return "Hello, " .. name .. "!"
end

local welcome = async(function(first, second)
  local a = await(greet(first))
  local b = await(greet(second))
  return a .. " " .. b
end)

return { greet = greet, welcome = welcome }
