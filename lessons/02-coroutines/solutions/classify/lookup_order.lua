-- Right: asks iscoroutine first and keeps the answers in a table keyed by type()
local other = { ["function"] = "plain function" }

local function describe(x)
  if asyncio.iscoroutine(x) then return "coroutine object" end
  if asyncio.iscoroutinefunction(x) then return "coroutine function" end
  return other[type(x)] or "something else"
end

return { describe = describe }
