-- Solution: lua_warmup

local function count(...)
  return select("#", ...)
end

local function reverse(t)
  local out = {}
  for i = 1, t.n do
    out[t.n - i + 1] = t[i]
  end
  return table.unpack(out, 1, t.n)
end

local Counter = {}
Counter.__index = Counter

function Counter.new(start)
  return setmetatable({ total = start or 0 }, Counter)
end

function Counter:add(n)
  self.total = self.total + n
  return self
end

function Counter:value()
  return self.total
end

Counter.__tostring = function(self)
  return "Counter(" .. self.total .. ")"
end

-- Closes what it holds when it goes out of scope.
local Closer = {
  __close = function(self)
    self.resource:close()
  end,
}

local function use(resource, fn)
  local _ <close> = setmetatable({ resource = resource }, Closer)
  return fn(resource)
end

return { count = count, reverse = reverse, Counter = Counter, use = use }
