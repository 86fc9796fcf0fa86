-- Wrong: waits with time.sleep inside __await, which blocks the loop, so timers cannot overlap
-- Fails: timers in a gather run together
local EggTimer_mt = {}
EggTimer_mt.__index = EggTimer_mt

EggTimer_mt.__await = function(self)
  time.sleep(self.seconds)
  return asyncio.sleep(0, self.label .. " ready")
end

local function EggTimer(seconds, label)
  return setmetatable({ seconds = seconds, label = label }, EggTimer_mt)
end

return { EggTimer = EggTimer }
