-- Checks for the transaction exercise.
return {
  {
    name = "a good transfer commits",
    points = 1,
    run = function(t)
      local accounts = { alice = 100, bob = 20 }
      local r = t.call(t.load().transfer, accounts, "alice", "bob", 30)
      t.no_error(r)
      t.eq(r.output, "0.1 begin\n0.7 commit\n", "begin, then commit when the block ends normally")
      t.eq(accounts.alice, 70, "alice paid 30")
      t.eq(accounts.bob, 50, "bob received 30")
    end,
  },
  {
    name = "a failed transfer rolls back",
    points = 2,
    run = function(t)
      local accounts = { alice = 10, bob = 20 }
      local r = t.call(t.load().transfer, accounts, "alice", "bob", 30)
      t.eq(r.output, "0.1 begin\n0.7 rollback\n",
        "the transfer failed, so the transaction should roll back, not commit. "
        .. "Which argument of __close tells you the block ended with an error?")
      t.eq(accounts.bob, 20, "bob was credited before the failure; the rollback must undo that")
      t.eq(accounts.alice, 10, "alice's balance is unchanged")
    end,
  },
  {
    name = "the error still reaches the caller",
    points = 1,
    run = function(t)
      local accounts = { alice = 10, bob = 20 }
      local r = t.call(t.load().transfer, accounts, "alice", "bob", 30)
      t.eq(tostring(r.error), "insufficient funds in alice",
        "__close cleans up, but must not swallow the error: the caller has to know the transfer failed")
      t.time(r, 0.7)
    end,
  },
}
