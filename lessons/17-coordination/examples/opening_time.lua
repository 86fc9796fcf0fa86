-- An Event for "the shop is open", a Semaphore for two fitting rooms.
local function now()
  return string.format("%.1f", asyncio.get_running_loop():time())
end

local open = asyncio.Event()
local fitting_rooms = asyncio.Semaphore(2)

local customer = async(function(name)
  await(open:wait())                            -- everyone waits for the doors
  local _ <close> = await(fitting_rooms:hold()) -- at most two inside at a time
  print(now(), name .. " tries on a jacket")
  await(asyncio.sleep(1))
end)

asyncio.run(async(function()
  local coros = {}
  for i, name in ipairs({ "Ada", "Bo", "Cy", "Di", "Ed" }) do
    coros[i] = customer(name)
  end
  local all = asyncio.gather(table.unpack(coros))

  await(asyncio.sleep(2))
  print(now(), "doors open")
  open:set()                                    -- wakes every waiting customer
  await(all)
  print(now(), "closing time")
end)())
