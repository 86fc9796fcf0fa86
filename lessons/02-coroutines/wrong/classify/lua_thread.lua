-- Wrong: takes a coroutine object for a Lua thread (type(x) == "thread"); it is a userdata
-- Fails: a coroutine object is recognised
local function describe(x)
  if asyncio.iscoroutinefunction(x) then
    return "coroutine function"
  elseif type(x) == "thread" then
    return "coroutine object"
  elseif type(x) == "function" then
    return "plain function"
  end
  return "something else"
end

return { describe = describe }
