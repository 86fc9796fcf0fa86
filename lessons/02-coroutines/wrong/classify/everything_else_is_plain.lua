-- Wrong: anything that is not a coroutine is called a plain function
-- Fails: plain functions and other values
local function describe(x)
  if asyncio.iscoroutinefunction(x) then
    return "coroutine function"
  elseif asyncio.iscoroutine(x) then
    return "coroutine object"
  end
  return "plain function"
end

return { describe = describe }
