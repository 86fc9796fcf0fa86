-- Exercise: transaction
--
-- Money moves between accounts inside a transaction. When the block that
-- holds the transaction ends:
--   without an error: print "<time> commit"   (takes 0.1 s)
--   with an error:    print "<time> rollback" (takes 0.1 s) and put the
--                     balances back as they were at "begin"
-- The error itself must still reach the caller of transfer.

local function now()
  return string.format("%.1f", asyncio.get_running_loop():time())
end

local Transaction = {}
Transaction.__index = Transaction

-- `err` is nil when the block ended normally, the error otherwise.
Transaction.__close = function(self, err)
  -- TODO: roll back (restore self.saved into self.accounts) when there
  --       was an error; commit otherwise.
  await(asyncio.sleep(0.1))
  print(now() .. " commit")
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
