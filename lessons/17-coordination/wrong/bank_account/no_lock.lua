-- Wrong: no lock: deposits read the same old balance and overwrite each other
-- Fails: no deposit is lost
-- Fails: each account has its own lock
local Account = {}
Account.__index = Account

local function new_account()
  return setmetatable({ balance = 0, lock = asyncio.Lock() }, Account)
end

Account.deposit = async(function(self, amount)
  local balance = self.balance
  await(asyncio.sleep(0.1))                 -- the slow ledger
  self.balance = balance + amount
end)

-- Already written: ten deposits at the same time.
local ten_deposits = async(function()
  local account = new_account()
  local coros = {}
  for i = 1, 10 do coros[i] = account:deposit(10) end
  await(asyncio.gather(table.unpack(coros)))
  return account.balance
end)

return { new_account = new_account, ten_deposits = ten_deposits }
