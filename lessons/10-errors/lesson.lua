return {
  title = "Errors: catching, collecting, not losing them",
  summary = "pcall around await, gather with return_exceptions, and the task whose exception nobody retrieved.",
  exercises = {
    {
      name = "retry",
      title = "Try again after a pause",
      hints = {
        "What happens to fetch_with_retry when service() raises and nothing catches it?",
        "With `local ok, result = pcall(await, service())` inside a loop, what do you do when ok is true, and when it is false?",
        "Where should the 1 s pause go so that there is none after the last attempt? And what do you raise at the very end?",
      },
      grants = {},
    },
    {
      name = "collect_failures",
      title = "Every result and every error",
      hints = {
        "When beta's ping fails, what does awaiting the gather do to the other results?",
        "Which option, passed as the last argument to asyncio.gather, puts errors among the results?",
        "results[i] is a host name or an error message. How does tasks[i]:exception() help you tell which?",
        "Only one result came back? In Lua, f(table.unpack(t), x) passes just the first value of t. How could you put the options table at the end of the list before unpacking it?",
      },
      grants = {},
    },
    {
      name = "background_failure",
      title = "Look at how your tasks ended",
      hints = {
        "After `await(save_user(name))`, has anyone looked at the email task at all?",
        "What happens when you await a task that has failed? How can you catch that?",
        "Does awaiting the task after save_user make the two run one after another, or had the email already been under way?",
      },
      grants = {},
    },
  },
}
