return {
  title = "Async resources: setup and cleanup that wait",
  summary = "To-be-closed variables whose __close awaits: an async database connection that always closes.",
  exercises = {
    {
      name = "db_connection",
      title = "A connection that always closes",
      hints = {
        "Which metamethod does Lua call when a `<close>` variable goes out of scope?",
        "Can __close wait 0.2 s? What does luasync allow inside it that plain Lua would not?",
        "How do you mark `local db = ...` so that it is closed on every way out, errors included?",
      },
      grants = {},
    },
    {
      name = "transaction",
      title = "Commit or roll back",
      hints = {
        "What is the second argument of __close when the block ended with an error, and when it ended normally?",
        "self.saved holds the balances from `begin`. How do you copy them back into self.accounts?",
        "If __close does not raise, does the original error still reach transfer's caller?",
      },
      grants = {},
    },
  },
}
