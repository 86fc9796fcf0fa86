-- Checks for the bank_account exercise.
return {
  {
    name = "no deposit is lost",
    points = 2,
    run = function(t)
      local r = t.call(t.load().ten_deposits)
      t.no_error(r)
      t.eq(r.values[1], 100,
        "ten deposits of 10 should make 100. When the balance is read, then awaited, then written, "
        .. "the other deposits read the same old balance in the meantime and their work is overwritten")
    end,
  },
  {
    name = "the deposits take turns",
    points = 1,
    run = function(t)
      local r = t.call(t.load().ten_deposits)
      t.no_error(r)
      t.time(r, 1.0, {
        [0.1] = "0.1 s: all ten deposits were in the ledger at the same moment: nothing made them take turns.",
      })
    end,
  },
  {
    name = "each account has its own lock",
    points = 1,
    run = function(t)
      local ex = t.load()
      local r = t.call(function()
        local a, b = ex.new_account(), ex.new_account()
        await(asyncio.gather(a:deposit(5), a:deposit(5), b:deposit(7)))
        return a.balance, b.balance
      end)
      t.no_error(r)
      t.eq(r.values[1], 10, "account a after two deposits of 5 at the same time (one was lost: no lock?)")
      t.eq(r.values[2], 7, "account b")
      t.time(r, 0.2, {
        [0.1] = "0.1 s: the two deposits into account a did not take turns: nothing locks an account.",
        [0.3] = "0.3 s: the deposit into account b waited for account a's. Does every account get its own lock?",
      })
    end,
  },
}
