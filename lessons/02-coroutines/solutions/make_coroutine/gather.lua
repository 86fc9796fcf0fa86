-- Right: both greetings through gather, joined with table.concat
local greet = async(function(name)
  return "Hello, " .. name .. "!"
end)

local welcome = async(function(first, second)
  local both = await(asyncio.gather(greet(first), greet(second)))
  return table.concat(both, " ")
end)

return { greet = greet, welcome = welcome }
