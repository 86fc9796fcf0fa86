-- Right: recursion instead of a loop, and the error tested before the wait
local function make_flaky(failures)
  local calls = 0
  return async(function()
    await(asyncio.sleep(0.5))
    calls = calls + 1
    if calls <= failures then
      error("busy (call " .. calls .. ")", 0)
    end
    return "the data"
  end)
end

local function attempt(service, n, attempts)
  local ok, result = pcall(await, service())
  if ok then return result, n end
  if asyncio.CancelledError:is(result) or n == attempts then error(result, 0) end
  await(asyncio.sleep(1))
  return attempt(service, n + 1, attempts)
end

local fetch_with_retry = async(function(service, attempts)
  return attempt(service, 1, attempts)
end)

return { make_flaky = make_flaky, fetch_with_retry = fetch_with_retry }
