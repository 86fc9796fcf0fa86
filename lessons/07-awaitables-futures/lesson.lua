return {
  title = "Awaitables and futures",
  summary = "Coroutines, tasks, futures (set_result) and your own __await objects: everything await accepts.",
  exercises = {
    {
      name = "callback_bridge",
      title = "Turn a callback into an awaitable",
      hints = {
        "What could lookup return right away that someone can await, although the answer only comes later?",
        "Which two methods fill a future, one with a value and one with an error?",
        "Inside the callback you give to old_lookup, how do you tell an answer from an error message?",
      },
      grants = {},
    },
    {
      name = "egg_timer",
      title = "An object you can await",
      hints = {
        "What does await(x) look for in x's metatable?",
        "__await(self) must return an awaitable. Which awaitable waits some seconds and then gives back a value?",
        "What does asyncio.sleep(self.seconds, self.label .. \" ready\") return when it wakes up?",
      },
      grants = {},
    },
    {
      name = "quiz_buzzer",
      title = "A future is filled once",
      hints = {
        "Run it: what happens the second time buzz calls winner:set_result?",
        "Which method of a future tells you whether it has already been filled?",
        "Should the print in buzz depend on whether this player won?",
      },
      grants = {},
    },
  },
}
