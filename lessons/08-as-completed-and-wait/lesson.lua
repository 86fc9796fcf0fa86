return {
  title = "as_completed and wait: results as they arrive",
  summary = "Handle each result when it is ready with as_completed; stop at the first one, or at a deadline, with wait.",
  exercises = {
    {
      name = "progress_report",
      title = "Report each download as it finishes",
      hints = {
        "When does gather hand you its results: as each job finishes, or when all are done?",
        "asyncio.as_completed(coros) is used in a generic for. What do you get on each turn, and how do you get the result out of it?",
        "Which count goes in the (k/n) part: how many have finished so far, out of how many files?",
      },
      grants = {},
    },
    {
      name = "fastest_mirror",
      title = "First answer wins, the rest are cancelled",
      hints = {
        "Which function returns as soon as one of several tasks is done, and what are its two results?",
        "To cancel a ping later you need a handle on it. What does asyncio.create_task give you?",
        "done is a set ({[task] = true}). How do you get its one task out, and then that task's result?",
      },
      grants = {},
    },
  },
}
