-- Solution: make_coroutine

local greet = async(function(name)
  return "Hello, " .. name .. "!"
end)

local welcome = async(function(first, second)
  local a = await(greet(first))
  local b = await(greet(second))
  return a .. " " .. b
end)

return { greet = greet, welcome = welcome }
