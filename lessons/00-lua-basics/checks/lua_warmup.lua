-- Checks for the lua_warmup exercise.

-- A resource that counts how often it was closed.
local function resource()
  return { closed = 0, close = function(self) self.closed = self.closed + 1 end }
end

local checks = {
  {
    name = "count counts the nils too",
    points = 1,
    run = function(t)
      local count = t.load().count
      t.eq(count(1, nil, 3), 3, "count(1, nil, 3)")
      t.eq(count(nil, nil), 2, "count(nil, nil): two arguments, both nil. # sees none of them; select(\"#\", ...) does")
      t.eq(count(), 0, "count()")
      t.eq(count("a", "b", nil), 3, "count(\"a\", \"b\", nil): a nil at the end counts too")
    end,
  },
  {
    name = "reverse keeps the holes",
    points = 1,
    run = function(t)
      local reverse = t.load().reverse
      local r = table.pack(reverse({ n = 3, "a", "b", "c" }))
      t.eq(r.n, 3, "reverse({ n = 3, \"a\", \"b\", \"c\" }) should return 3 values")
      t.eq(r[1] .. r[2] .. r[3], "cba", "in reverse order")
      r = table.pack(reverse({ n = 3, "a", nil, "c" }))
      t.eq(r.n, 3, "reverse({ n = 3, \"a\", nil, \"c\" }) should return 3 values, the nil included "
        .. "(ipairs stops at the hole; table.unpack(out) without 1, n may too)")
      t.eq(r[1], "c", "the first value returned")
      t.eq(r[2], nil, "the hole stays where it is")
      t.eq(r[3], "a", "the last value returned")
      r = table.pack(reverse({ n = 2, nil, "x" }))
      t.eq(r.n, 2, "reverse({ n = 2, nil, \"x\" }) should return 2 values")
      t.eq(r[1], "x", "the first value returned")
      t.eq(select("#", reverse({ n = 0 })), 0, "reverse({ n = 0 }) returns nothing")
    end,
  },
  {
    name = "Counter is a class",
    points = 1,
    run = function(t)
      local Counter = t.load().Counter
      t.ok(type(Counter) == "table" and type(Counter.new) == "function", "Counter.new should be a function")
      local c = Counter.new(2)
      t.ok(type(c) == "table", "Counter.new(2) should return a table")
      t.ok(type(c.add) == "function",
        "c.add is " .. type(c.add) .. ": the counter does not find Counter's methods. What does __index do?")
      t.eq(c:add(3):add(4):value(), 9, "Counter.new(2):add(3):add(4):value()")
      local d = Counter.new()
      t.eq(d:value(), 0, "Counter.new() starts at 0")
      t.eq(c:value(), 9, "a second counter leaves the first alone")
      t.eq(tostring(c), "Counter(9)", "tostring(counter) uses the metatable's __tostring")
      t.ok(getmetatable(c) == getmetatable(d), "every counter should share one metatable (the class)")
    end,
  },
  {
    name = "use closes the resource, even after an error",
    points = 2,
    run = function(t)
      local use = t.load().use
      local res = resource()
      local got = use(res, function(r) return "done, closed " .. r.closed .. " times" end)
      t.eq(got, "done, closed 0 times", "use returns what fn returns; the resource is closed after fn, not before")
      t.eq(res.closed, 1, "the resource should be closed once after fn returns")
      res = resource()
      local ok, err = pcall(use, res, function() error("boom", 0) end)
      t.eq(ok, false, "fn raised \"boom\": use must not swallow the error, its caller has to see it")
      t.eq(err, "boom", "the error that reaches the caller is fn's")
      t.eq(res.closed, 1, "the resource should be closed once when fn raises too")
    end,
  },
}

-- `luasync learn run lua_warmup`: what each function gives for the
-- examples in the exercise's comments (or the error it raises).
checks.demo = function(t)
  local ex = t.load()
  local function try(f, ...)
    local r = table.pack(pcall(f, ...))
    if not r[1] then return "error: " .. tostring(r[2]) end
    local parts = {}
    for i = 2, r.n do parts[#parts + 1] = tostring(r[i]) end
    return table.concat(parts, ", ")
  end
  return t.call(function()
    local door = { closed = 0, close = function(self) self.closed = self.closed + 1 end }
    return try(ex.count, 1, nil, 3),
      try(ex.reverse, { n = 3, "a", nil, "c" }),
      try(function() return tostring(ex.Counter.new(2):add(3)) end),
      try(function()
        local ok, err = pcall(ex.use, door, function() error("boom", 0) end)
        return (ok and "use returned" or "use raised " .. tostring(err)) .. "; closed " .. door.closed .. " time(s)"
      end)
  end)
end

return checks
