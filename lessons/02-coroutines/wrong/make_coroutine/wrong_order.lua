-- Wrong: joins the greetings in the wrong order
-- Fails: welcome awaits both greetings
local greet = async(function(name)
  return "Hello, " .. name .. "!"
end)

local welcome = async(function(first, second)
  local a = await(greet(first))
  local b = await(greet(second))
  return b .. " " .. a
end)

return { greet = greet, welcome = welcome }
