-- Exercise: retry
--
-- A flaky service fails with "busy" a few times before it answers.
-- `fetch_with_retry(service, attempts)` calls service() up to `attempts`
-- times, waiting 1 second between attempts, and returns
--   the answer, and the number of the attempt that worked.
-- If every attempt fails, it raises the last error (and does not wait
-- after the last attempt).
--
-- make_flaky(n) (already written) makes a service that fails n times.

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
  -- TODO: try up to `attempts` times. Catch the error of each failed
  --       attempt with pcall, wait 1 s, and try again. Return the answer
  --       and the attempt number as soon as one works; if none does,
  --       raise the last error.
  local answer = await(service())
  return answer, 1
end)

return { make_flaky = make_flaky, fetch_with_retry = fetch_with_retry }
