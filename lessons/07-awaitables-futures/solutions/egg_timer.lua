-- Solution: egg_timer

local EggTimer_mt = {}
EggTimer_mt.__index = EggTimer_mt

EggTimer_mt.__await = function(self)
  return asyncio.sleep(self.seconds, self.label .. " ready")
end

local function EggTimer(seconds, label)
  return setmetatable({ seconds = seconds, label = label }, EggTimer_mt)
end

return { EggTimer = EggTimer }
