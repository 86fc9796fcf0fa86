-- Wrong: greet is a coroutine function but welcome joins the coroutine objects without awaiting them
-- Fails: welcome awaits both greetings
local greet = async(function(name)
  return "Hello, " .. name .. "!"
end)

local welcome = async(function(first, second)
  local a = greet(first)
  local b = greet(second)
  return a .. " " .. b
end)

return { greet = greet, welcome = welcome }
