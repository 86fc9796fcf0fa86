-- Exercise: bank_account
--
-- Ten customers each deposit 10 into the same account at the same time.
-- A deposit reads the balance, waits for the slow ledger (0.1 s), and
-- writes the new balance. The account should end at 100; it ends at 10.
-- Protect the read-wait-write with a lock.

local Account = {}
Account.__index = Account

local function new_account()
  -- TODO: give every account its own asyncio.Lock() (a field `lock`).
  return setmetatable({ balance = 0 }, Account)
end

Account.deposit = async(function(self, amount)
  -- TODO: hold self.lock for the rest of this function.
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
