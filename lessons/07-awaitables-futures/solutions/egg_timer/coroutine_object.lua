-- Right: __await returns a coroutine object of a coroutine function
local EggTimer_mt = {}
EggTimer_mt.__index = EggTimer_mt

local ring = async(function(seconds, label)
  await(asyncio.sleep(seconds))
  return label .. " ready"
end)

function EggTimer_mt:__await()
  return ring(self.seconds, self.label)
end

local function EggTimer(seconds, label)
  return setmetatable({ seconds = seconds, label = label }, EggTimer_mt)
end

return { EggTimer = EggTimer }
