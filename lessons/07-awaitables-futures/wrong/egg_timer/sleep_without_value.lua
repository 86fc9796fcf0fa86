-- Wrong: returns asyncio.sleep(self.seconds): it waits, but produces nil
-- Fails: an EggTimer can be awaited
-- Fails: timers in a gather run together
local EggTimer_mt = {}
EggTimer_mt.__index = EggTimer_mt

EggTimer_mt.__await = function(self)
  return asyncio.sleep(self.seconds)
end

local function EggTimer(seconds, label)
  return setmetatable({ seconds = seconds, label = label }, EggTimer_mt)
end

return { EggTimer = EggTimer }
