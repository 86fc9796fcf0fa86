-- barrier.lua: asyncio.Barrier (port of CPython 3.11's locks.Barrier).
--
--   local barrier = asyncio.Barrier(3)
--   local index = await(barrier:wait())  -- 0, 1, 2 in arrival order
--
-- `parties` tasks meet at wait(): each waits until the last has arrived, then
-- all go on together and the barrier fills again (it is reusable). A barrier
-- that is aborted, or reset while tasks wait in it, is broken for them:
-- their wait() raises BrokenBarrierError. The state machine is Python's:
-- filling (tasks arrive), draining (released tasks leave; newcomers wait for
-- the next round), resetting (waiting tasks leave with BrokenBarrierError),
-- broken (every wait raises until reset()).
local asyncio = ...

local async, await = asyncio.async, asyncio.await
local BrokenBarrierError = asyncio.BrokenBarrierError

local FILLING, DRAINING, RESETTING, BROKEN = "filling", "draining", "resetting", "broken"

local Barrier = {__name = "asyncio.Barrier"}
Barrier.__index = Barrier

-- asyncio.Barrier(parties): a barrier for `parties` tasks (an integer >= 1).
function asyncio.Barrier(parties)
  local n = type(parties) == "number" and math.tointeger(parties) or nil
  if n == nil then
    error("bad argument #1 to 'Barrier' (integer expected, got " .. type(parties) .. ")", 2)
  end
  parties = n
  if parties < 1 then error("bad argument #1 to 'Barrier' (parties must be >= 1)", 2) end
  return setmetatable({
    _cond = asyncio.Condition(), -- every state change is announced on it
    _parties = parties,
    _state = FILLING,
    _count = 0, -- tasks inside wait()
  }, Barrier)
end

-- The last task to leave ends a drain or a reset.
local function exit(self)
  if self._count == 0 then
    if self._state == RESETTING or self._state == DRAINING then self._state = FILLING end
    self._cond:notify_all()
  end
end

-- Leaves wait() however it ends (a to-be-closed guard, like Python's finally).
local Leave = {__close = function(g)
  local self = g.barrier
  self._count = self._count - 1
  exit(self)
end}

--[[
await(barrier:wait()) -> index: waits until `parties` tasks are waiting, then
returns this task's arrival index (0 for the first, parties - 1 for the
last, as in Python). Raises BrokenBarrierError if the barrier is broken, or
is aborted or reset while this task waits.
--]]
Barrier.wait = async(function(self)
  local cond = self._cond
  local _ <close> = await(cond:hold())
  -- Wait while the barrier drains or resets.
  await(cond:wait_for(function() return self._state ~= DRAINING and self._state ~= RESETTING end))
  if self._state == BROKEN then error(BrokenBarrierError("Barrier aborted"), 0) end
  local index = self._count
  self._count = index + 1
  local _leave <close> = setmetatable({barrier = self}, Leave)
  if index + 1 == self._parties then
    -- The last one releases everybody.
    self._state = DRAINING
    cond:notify_all()
  else
    await(cond:wait_for(function() return self._state ~= FILLING end))
    if self._state == BROKEN or self._state == RESETTING then
      error(BrokenBarrierError("Abort or reset of barrier"), 0)
    end
  end
  return index
end)

--[[
await(barrier:reset()): back to the empty, filling state. Tasks waiting in
it get BrokenBarrierError; a broken barrier becomes usable again.
--]]
Barrier.reset = async(function(self)
  local _ <close> = await(self._cond:hold())
  if self._count > 0 then
    self._state = RESETTING
  else
    self._state = FILLING
  end
  self._cond:notify_all()
end)

--[[
await(barrier:abort()): breaks the barrier: tasks waiting in it, and every
later wait() until reset(), raise BrokenBarrierError.
--]]
Barrier.abort = async(function(self)
  local _ <close> = await(self._cond:hold())
  self._state = BROKEN
  self._cond:notify_all()
end)

-- The number of tasks the barrier is for.
function Barrier:parties() return self._parties end

-- How many tasks wait in it now (0 while it drains or resets).
function Barrier:n_waiting()
  if self._state == FILLING then return self._count end
  return 0
end

-- Whether the barrier is broken (aborted).
function Barrier:broken() return self._state == BROKEN end

function Barrier:__tostring()
  local s = "<asyncio.Barrier [" .. self._state
  if self._state ~= BROKEN then s = s .. ", waiters:" .. self:n_waiting() .. "/" .. self._parties end
  return s .. "]>"
end
