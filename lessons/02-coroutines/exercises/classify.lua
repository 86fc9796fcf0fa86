-- Exercise: classify
--
-- Write `describe(x)`, which tells what kind of value x is:
--   "coroutine function"  for what async(...) returns (you call it)
--   "coroutine object"    for what calling a coroutine function returns (you await it)
--   "plain function"      for any other function
--   "something else"      for everything else
-- Careful: Lua's type() says "function" for coroutine functions too.

local function describe(x)
  -- TODO: recognise coroutine functions and coroutine objects first,
  --       using asyncio.iscoroutinefunction and asyncio.iscoroutine.
  if type(x) == "function" then
    return "plain function"
  end
  return "something else"
end

return { describe = describe }
