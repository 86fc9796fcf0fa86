-- Exercise: lua_warmup
--
-- Four small functions, one for each part of the lesson. Nothing here is
-- async yet: this is the Lua the async lessons take for granted.

-- 1. count(...) returns how many arguments it got, nils included:
--    count(1, nil, 3) is 3, count(nil, nil) is 2, count() is 0.
local function count(...)
  -- TODO: # does not see past a nil. Who knows the real number?
  return #{ ... }
end

-- 2. reverse(t) gets a packed list (a table with its length in t.n, as
--    table.pack and asyncio.gather make) and returns its values in reverse
--    order, as separate values, holes included:
--    reverse({ n = 3, "a", nil, "c" }) returns "c", nil, "a".
local function reverse(t)
  -- TODO: ipairs stops at the first nil. Loop over 1 .. t.n instead, and
  --       hand back every value with table.unpack(list, 1, n).
  local out = {}
  for i, v in ipairs(t) do
    table.insert(out, 1, v)
  end
  return table.unpack(out)
end

-- 3. Counter: a class. Counter.new(start) makes a counter; c:add(n) adds n
--    and returns c (so calls chain); c:value() is the total; tostring(c)
--    is "Counter(<total>)". Every counter shares the same methods.
local Counter = {}
-- TODO: make Counter the metatable of every counter, with an __index that
--       finds the methods, and a __tostring.

function Counter.new(start)
  return { total = start or 0 }
end

function Counter:add(n)
  self.total = self.total + n
  return self
end

function Counter:value()
  return self.total
end

-- 4. use(resource, fn) calls fn(resource) and returns what it returns,
--    and always calls resource:close() afterwards, exactly once, even when
--    fn raises an error (which must still reach use's caller).
local function use(resource, fn)
  -- TODO: a to-be-closed variable closes the resource however fn ends.
  local result = fn(resource)
  resource:close()
  return result
end

return { count = count, reverse = reverse, Counter = Counter, use = use }
