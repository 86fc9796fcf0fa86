-- Solution: retry

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

local fetch_with_retry = async(function(service, attempts)
  local last_err
  for attempt = 1, attempts do
    local ok, result = pcall(await, service())
    if ok then
      return result, attempt
    end
    -- A cancellation is not a failed attempt: the task must stop.
    if asyncio.CancelledError:is(result) then error(result, 0) end
    last_err = result
    if attempt < attempts then
      await(asyncio.sleep(1))
    end
  end
  error(last_err, 0)
end)

return { make_flaky = make_flaky, fetch_with_retry = fetch_with_retry }
