-- Right: returns early on commit, restores every account from the copy otherwise
local function now()
  return string.format("%.1f", asyncio.get_running_loop():time())
end

local Transaction = {}
Transaction.__index = Transaction

Transaction.__close = function(self, err)
  await(asyncio.sleep(0.1))
  if err == nil then
    print(now() .. " commit")
    return
  end
  for name in pairs(self.accounts) do
    self.accounts[name] = self.saved[name]
  end
  print(now() .. " rollback")
end

local begin = async(function(accounts)
  await(asyncio.sleep(0.1))
  print(now() .. " begin")
  local saved = {}
  for name, balance in pairs(accounts) do saved[name] = balance end
  return setmetatable({ accounts = accounts, saved = saved }, Transaction)
end)

local transfer = async(function(accounts, from, to, amount)
  local tx <close> = await(begin(accounts))
  accounts[to] = accounts[to] + amount          -- credit first...
  await(asyncio.sleep(0.5))                     -- (the bank is slow)
  if accounts[from] < amount then
    error("insufficient funds in " .. from, 0)  -- ...so a failure must undo it
  end
  accounts[from] = accounts[from] - amount
end)

return { transfer = transfer }
