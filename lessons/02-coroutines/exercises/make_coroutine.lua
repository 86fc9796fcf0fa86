-- Exercise: make_coroutine
--
-- `greet` is an ordinary function. Turn it into a coroutine function, then
-- make `welcome` run it for two guests and return both greetings joined
-- with " ", e.g. "Hello, Ada! Hello, Grace!".

-- TODO: wrap this function with async(...) so it becomes a coroutine function.
local greet = function(name)
  return "Hello, " .. name .. "!"
end

local welcome = async(function(first, second)
  -- TODO: once greet is a coroutine function, these calls only make
  --       coroutine objects. Run them and use their results.
  local a = greet(first)
  local b = greet(second)
  return a .. " " .. b
end)

return { greet = greet, welcome = welcome }
