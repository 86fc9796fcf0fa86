-- Wrong: one lock shared by every account, so different accounts wait for each other
-- Fails: each account has its own lock
local Account = {}
Account.__index = Account

local shared_lock = asyncio.Lock()
local function new_account()
  return setmetatable({ balance = 0, lock = shared_lock }, Account)
end

Account.deposit = async(function(self, amount)
  local _ <close> = await(self.lock:hold())
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
