-- Solution: classify

local function describe(x)
  if asyncio.iscoroutinefunction(x) then
    return "coroutine function"
  elseif asyncio.iscoroutine(x) then
    return "coroutine object"
  elseif type(x) == "function" then
    return "plain function"
  end
  return "something else"
end

return { describe = describe }
