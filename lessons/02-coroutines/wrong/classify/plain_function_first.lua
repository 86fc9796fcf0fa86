-- Wrong: asks type(x) == "function" first, so a coroutine function is called a plain function
-- Fails: a coroutine function is recognised
local function describe(x)
  if type(x) == "function" then
    return "plain function"
  elseif asyncio.iscoroutinefunction(x) then
    return "coroutine function"
  elseif asyncio.iscoroutine(x) then
    return "coroutine object"
  end
  return "something else"
end

return { describe = describe }
