-- A cancelled task still closes its resources.
local function now()
  return string.format("%.1f", asyncio.get_running_loop():time())
end

local Session = {}
Session.__close = function(self, err)
  print(now(), "logging out of " .. self.site .. " (" .. tostring(err) .. ")")
  await(asyncio.sleep(0.5))
  print(now(), "logged out")
end

local browse = async(function(site)
  local session <close> = setmetatable({ site = site }, Session)
  print(now(), "browsing " .. site)
  await(asyncio.sleep(60))                  -- a long visit
  print("never printed")
end)

asyncio.run(async(function()
  local task = asyncio.create_task(browse("example.org"))
  await(asyncio.sleep(1))
  task:cancel("closing time")
  pcall(await, task)
  print(now(), "task cancelled: " .. tostring(task:cancelled()))
end)())
