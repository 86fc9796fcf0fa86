-- Wrong: produces the label without " ready"
-- Fails: an EggTimer can be awaited
local EggTimer_mt = {}
EggTimer_mt.__index = EggTimer_mt

EggTimer_mt.__await = function(self)
  return asyncio.sleep(self.seconds, self.label)
end

local function EggTimer(seconds, label)
  return setmetatable({ seconds = seconds, label = label }, EggTimer_mt)
end

return { EggTimer = EggTimer }
