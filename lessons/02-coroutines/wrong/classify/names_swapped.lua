-- Wrong: the two names swapped: the function is called the object and the other way round
-- Fails: a coroutine function is recognised
-- Fails: a coroutine object is recognised
local function describe(x)
  if asyncio.iscoroutinefunction(x) then
    return "coroutine object"
  elseif asyncio.iscoroutine(x) then
    return "coroutine function"
  elseif type(x) == "function" then
    return "plain function"
  end
  return "something else"
end

return { describe = describe }
