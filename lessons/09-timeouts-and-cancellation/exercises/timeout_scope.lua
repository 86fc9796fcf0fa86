-- Exercise: timeout_scope
--
-- A bakery bakes its trays one after another (1 s each), but the shop
-- opens at `deadline` seconds. `bake(trays, deadline)` bakes until it is
-- done or the deadline passes, whichever comes first, and returns
--   the number of trays finished, and
--   "all baked" or "out of time".
-- Example: bake(5, 3.5) returns 3, "out of time" at 3.5 s.
--
-- Use one deadline for the whole loop: asyncio.timeout(deadline) held in
-- a <close> variable, inside a function you call with pcall.

local bake_tray = async(function()
  await(asyncio.sleep(1))
end)

local bake = async(function(trays, deadline)
  local baked = 0
  -- TODO: put the loop in a block guarded by asyncio.timeout(deadline),
  --       and catch the TimeoutError it raises when time runs out.
  for _ = 1, trays do
    await(bake_tray())
    baked = baked + 1
  end
  return baked, "all baked"
end)

return { bake = bake }
