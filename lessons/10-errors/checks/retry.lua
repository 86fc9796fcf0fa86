-- Checks for the retry exercise.
return {
  {
    name = "a service that fails twice works on the third attempt",
    points = 2,
    run = function(t)
      local ex = t.load()
      local r = t.call(ex.fetch_with_retry, ex.make_flaky(2), 5)
      t.no_error(r)
      t.eq(r.values[1], "the data", "the third call answers")
      t.eq(r.values[2], 3, "the answer came on attempt 3")
      t.time(r, 3.5, {
        [1.5] = "1.5 s: the attempts did not wait 1 s between them.",
      })
    end,
  },
  {
    name = "a healthy service is called once",
    points = 1,
    run = function(t)
      local ex = t.load()
      local r = t.call(ex.fetch_with_retry, ex.make_flaky(0), 5)
      t.no_error(r)
      t.eq(r.values[1], "the data", "the first call answers")
      t.eq(r.values[2], 1, "no retry needed")
      t.time(r, 0.5)
    end,
  },
  {
    name = "when every attempt fails, the last error is raised",
    points = 2,
    run = function(t)
      local ex = t.load()
      local r = t.call(ex.fetch_with_retry, ex.make_flaky(10), 3)
      t.ok(r.error ~= nil, "fetch_with_retry should raise when all 3 attempts fail, but it returned "
        .. tostring(r.values[1]))
      t.eq(tostring(r.error), "busy (call 3)", "the error of the last attempt")
      t.time(r, 3.5, {
        [4.5] = "4.5 s: there was a 1 s wait after the last attempt, which nobody needs.",
      })
    end,
  },
  {
    name = "a cancelled retry stops instead of trying again",
    points = 1,
    run = function(t)
      local ex = t.load()
      local r = t.call(function()
        local task = asyncio.create_task(ex.fetch_with_retry(ex.make_flaky(10), 5))
        await(asyncio.sleep(0.2))  -- during the first attempt
        task:cancel()
        local ok, err = pcall(await, task)
        return ok, asyncio.CancelledError:is(err), task:cancelled()
      end)
      t.no_error(r)
      t.ok(r.values[1] == false and r.values[2] == true,
        "cancelling fetch_with_retry should stop it with CancelledError, but it " ..
        (r.values[1] and "returned normally: the pcall caught the cancellation and treated it as a failed attempt"
          or "raised another error"))
      t.time(r, 0.2, {
        [1.2] = "1.2 s: after the cancellation it waited and tried again",
      })
    end,
  },
}
