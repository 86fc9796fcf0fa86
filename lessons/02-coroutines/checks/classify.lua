-- Checks for the classify exercise.
local function sample()
  local make_tea = async(function() return "tea" end)
  return make_tea
end

return {
  {
    name = "a coroutine function is recognised",
    points = 1,
    run = function(t)
      local describe = t.load().describe
      t.eq(describe(sample()), "coroutine function", "describe(async(function() ... end))")
      t.eq(describe(asyncio.sleep), "coroutine function", "describe(asyncio.sleep): sleep is a coroutine function too")
    end,
  },
  {
    name = "a coroutine object is recognised",
    points = 1,
    run = function(t)
      local describe = t.load().describe
      local r = t.call(function()
        local make_tea = sample()
        local c = make_tea()
        local answer = describe(c)
        await(c)                  -- run it, so it is not left unawaited
        local nap = asyncio.sleep(0)
        local answer2 = describe(nap)
        await(nap)
        return answer, answer2
      end)
      t.no_error(r)
      t.eq(r.values[1], "coroutine object", "describe(make_tea()): calling a coroutine function gives an object")
      t.eq(r.values[2], "coroutine object", "describe(asyncio.sleep(0))")
    end,
  },
  {
    name = "plain functions and other values",
    points = 1,
    run = function(t)
      local describe = t.load().describe
      t.eq(describe(print), "plain function", "describe(print)")
      t.eq(describe(function() end), "plain function", "describe(function() end)")
      t.eq(describe(42), "something else", "describe(42)")
      t.eq(describe("async"), "something else", "describe(\"async\")")
    end,
  },
}
