return {
  title = "Timeouts and cancellation",
  summary = "wait_for and the timeout scope; CancelledError at the await, clean up and re-raise; shield.",
  exercises = {
    {
      name = "patient_fetch",
      title = "Two seconds, then the cached copy",
      hints = {
        "Which function waits for an awaitable, but at most a given number of seconds?",
        "What does wait_for raise when time runs out, and how do you catch an error coming out of await?",
        "After pcall, how do you tell a TimeoutError from any other error? (asyncio.TimeoutError:is(err))",
      },
      grants = {},
    },
    {
      name = "timeout_scope",
      title = "One deadline for a whole loop",
      hints = {
        "Could a separate wait_for per tray enforce a deadline for all of them together?",
        "Where does `local _ <close> = asyncio.timeout(deadline)` have to be so that the deadline covers the whole loop?",
        "The TimeoutError is raised where the block ends. What can you wrap the block in so it doesn't end your coroutine, and is `baked` still correct afterwards?",
      },
      grants = {},
    },
    {
      name = "graceful_cancel",
      title = "Clean up, then stop",
      hints = {
        "Where in copy_files does the CancelledError appear: at which line is the task paused when it is cancelled?",
        "How can you catch an error raised by an await without ending the function? (pcall(await, ...))",
        "After printing the cleanup line, what must happen so that task:cancelled() becomes true?",
      },
      grants = {},
    },
  },
}
