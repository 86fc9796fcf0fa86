-- Checks for the collect_failures exercise.
local hosts = { "alpha", "beta", "gamma", "delta", "eps" }

return {
  {
    name = "check_all does not stop at the first failure",
    points = 1,
    run = function(t)
      local r = t.call(t.load().check_all, hosts)
      t.ok(r.error == nil, "check_all raised " .. tostring(r.error) .. ". One failed ping should not "
        .. "end the whole check: how can gather return errors instead of raising them?")
    end,
  },
  {
    name = "hosts that answered are up",
    points = 1,
    run = function(t)
      local r = t.call(t.load().check_all, hosts)
      t.no_error(r)
      local up = r.values[1]
      t.ok(type(up) == "table", "check_all should return the list of hosts that are up first")
      t.eq(table.concat(up, ","), "alpha,gamma,eps", "the hosts that answered, in the order of the list"
        .. (#up == 1 and ". Only one host was gathered: is table.unpack(tasks) followed by another argument? "
          .. "Lua then keeps only its first value." or ""))
    end,
  },
  {
    name = "hosts that failed are down, with their error",
    points = 2,
    run = function(t)
      local r = t.call(t.load().check_all, hosts)
      t.no_error(r)
      local down = r.values[2]
      t.ok(type(down) == "table", "check_all should return the list of hosts that are down second")
      t.eq(table.concat(down, " | "), "beta: connection refused | delta: timed out",
        "each failed host as \"<name>: <error>\", in the order of the list")
    end,
  },
  {
    name = "all hosts are pinged at the same time",
    points = 1,
    run = function(t)
      local r = t.call(t.load().check_all, hosts)
      t.no_error(r)
      t.time(r, 3.0, {
        [9.0] = "9.0 s is the sum of all pings: they ran one after another.",
      })
    end,
  },
}
