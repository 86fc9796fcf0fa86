-- Wrong: names the field `await` instead of `__await`, so the metamethod is missing
-- Fails: an EggTimer can be awaited
-- Fails: timers in a gather run together
local EggTimer_mt = {}
EggTimer_mt.__index = EggTimer_mt

EggTimer_mt.await = function(self)
  return asyncio.sleep(self.seconds, self.label .. " ready")
end

local function EggTimer(seconds, label)
  return setmetatable({ seconds = seconds, label = label }, EggTimer_mt)
end

return { EggTimer = EggTimer }
