-- Wrong: prints rollback but does not put the balances back
-- Fails: a failed transfer rolls back
local function now()
  return string.format("%.1f", asyncio.get_running_loop():time())
end

local Transaction = {}
Transaction.__index = Transaction

Transaction.__close = function(self, err)
  await(asyncio.sleep(0.1))
  if err ~= nil then
    print(now() .. " rollback")
  else
    print(now() .. " commit")
  end
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
