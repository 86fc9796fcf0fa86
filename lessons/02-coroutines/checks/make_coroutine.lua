-- Checks for the make_coroutine exercise.
return {
  {
    name = "greet is a coroutine function",
    points = 1,
    run = function(t)
      local ex = t.load()
      t.ok(asyncio.iscoroutinefunction(ex.greet),
        "greet is still an ordinary function: asyncio.iscoroutinefunction(greet) is false. "
        .. "What does async(...) do to a function?")
    end,
  },
  {
    name = "calling greet makes a coroutine object",
    points = 1,
    run = function(t)
      local ex = t.load()
      local r = t.call(function()
        local c = ex.greet("Ada")
        local is_coro = asyncio.iscoroutine(c)
        if is_coro then await(c) end   -- run it, so it is not left unawaited
        return is_coro, type(c)
      end)
      t.no_error(r)
      t.ok(r.values[1], "greet(\"Ada\") returned a " .. tostring(r.values[2])
        .. " instead of a coroutine object; a coroutine function's call should only prepare the work")
    end,
  },
  {
    name = "welcome awaits both greetings",
    points = 2,
    run = function(t)
      local r = t.call(t.load().welcome, "Ada", "Grace")
      t.no_error(r)
      t.eq(r.values[1], "Hello, Ada! Hello, Grace!",
        "welcome(\"Ada\", \"Grace\") should join the two greetings with a space")
    end,
  },
}
