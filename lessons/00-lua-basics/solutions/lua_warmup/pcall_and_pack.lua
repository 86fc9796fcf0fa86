-- Right: table.pack for count, a while loop for reverse, and pcall then raise again for use
local function count(...)
  return table.pack(...).n
end

local function reverse(t)
  local out, i = { n = t.n }, t.n
  while i >= 1 do
    out[t.n - i + 1] = t[i]
    i = i - 1
  end
  return table.unpack(out, 1, out.n)
end

local Counter = {}
Counter.__index = Counter
Counter.__tostring = function(self) return ("Counter(%d)"):format(self.total) end

function Counter.new(start)
  local c = { total = 0 }
  setmetatable(c, Counter)
  return c:add(start or 0)
end

function Counter:add(n)
  self.total = self.total + n
  return self
end

function Counter:value()
  return self.total
end

local function use(resource, fn)
  local results = table.pack(pcall(fn, resource))
  resource:close()
  if not results[1] then error(results[2], 0) end
  return table.unpack(results, 2, results.n)
end

return { count = count, reverse = reverse, Counter = Counter, use = use }
