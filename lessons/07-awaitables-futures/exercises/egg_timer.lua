-- Exercise: egg_timer
--
-- Make EggTimer objects awaitable:
--   await(EggTimer(3, "soft egg"))   -- waits 3 s, then returns "soft egg ready"
-- and since gather takes any awaitable, several timers can run together.
-- Do it with the __await metamethod: it must return an awaitable
-- (hint: asyncio.sleep(delay, value) returns `value` when it wakes up).

local EggTimer_mt = {}
EggTimer_mt.__index = EggTimer_mt

-- TODO: give EggTimer_mt an __await field: a function(self) that returns
--       an awaitable which waits self.seconds and produces self.label .. " ready".

local function EggTimer(seconds, label)
  return setmetatable({ seconds = seconds, label = label }, EggTimer_mt)
end

return { EggTimer = EggTimer }
