return {
  title = "Pitfalls: the forgotten await and the blocking call",
  summary = "Coroutines that never run, and calls that freeze the loop (time.sleep, long computations); debug mode catches them.",
  exercises = {
    {
      name = "forgot_await",
      title = "Find the missing awaits",
      hints = {
        "Run it and read stderr: which lines does the 'never awaited' warning point at?",
        "What kind of value does reserve(item) return when nobody awaits it? What does tostring print for it?",
        "Does charge(price) need its result kept? Does it need to run?",
      },
      grants = {},
    },
    {
      name = "blocking_sleep",
      title = "Wait without blocking",
      hints = {
        "While time.sleep(1) runs in one sensor, can the loop start or resume any other?",
        "Which sleep hands control back to the loop while it waits?",
        "What must come in front of asyncio.sleep(1) for it to actually pause?",
      },
      grants = {},
    },
    {
      name = "share_the_thread",
      title = "Let the spinner spin",
      hints = {
        "crunch never awaits anything. When can the loop run the spinner task?",
        "Which awaitable means \"I am not done, but let others go first\"?",
        "Where in the loop over chunks should `await(asyncio.sleep(0))` go so the spinner runs after every chunk, including the last?",
      },
      grants = {},
    },
  },
}
