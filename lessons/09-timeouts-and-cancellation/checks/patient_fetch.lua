-- Checks for the patient_fetch exercise.
return {
  {
    name = "a fast server's news is fresh",
    points = 1,
    run = function(t)
      local r = t.call(t.load().fetch_news, "fast")
      t.no_error(r)
      t.eq(r.values[1], "fresh news from fast", "the fast server answers within 2 s")
      t.time(r, 1.0)
    end,
  },
  {
    name = "a slow server is given up on after 2 s",
    points = 2,
    run = function(t)
      local r = t.call(t.load().fetch_news, "slow")
      t.no_error(r)
      t.time(r, 2.0, {
        [5.0] = "5.0 s: you waited for the slow server to finish. After 2 s, wait_for should give up.",
      })
      t.eq(r.values[1], "cached copy of slow", "after the timeout, return the cached copy")
    end,
  },
  {
    name = "even a frozen server costs only 2 s",
    points = 1,
    run = function(t)
      local r = t.call(t.load().fetch_news, "frozen")
      t.no_error(r)
      t.eq(r.values[1], "cached copy of frozen", "the frozen server never answers in time")
      t.time(r, 2.0, {
        [3600.0] = "3600.0 s: a whole hour! Without a time limit, one frozen server hangs the program.",
      })
    end,
  },
  {
    name = "only a timeout gives the cached copy: other errors go through",
    points = 1,
    run = function(t)
      local r = t.call(t.load().fetch_news, "nowhere")
      t.ok(r.error ~= nil, "fetch_news(\"nowhere\") asks a server that does not exist: that error should " ..
        "reach the caller, but it returned " .. tostring(r.values[1]) ..
        ". Catch only the timeout (asyncio.TimeoutError:is(err)) and raise anything else again.")
    end,
  },
  {
    name = "a cancelled fetch stops",
    points = 1,
    run = function(t)
      local fetch_news = t.load().fetch_news
      local r = t.call(function()
        local task = asyncio.create_task(fetch_news("slow"))
        await(asyncio.sleep(1))
        task:cancel()
        local ok, err = pcall(await, task)
        return ok, asyncio.CancelledError:is(err)
      end)
      t.no_error(r)
      t.ok(r.values[1] == false and r.values[2] == true,
        "cancelling fetch_news should stop it with CancelledError, but it " ..
        (r.values[1] and "returned a value: its pcall caught the cancellation" or "raised another error"))
    end,
  },
}
