return {
  title = "Structured concurrency: TaskGroup",
  summary = "TaskGroup: the block waits for all its tasks; the first failure cancels the rest and raises an ExceptionGroup.",
  exercises = {
    {
      name = "group_crawl",
      title = "A crawler whose tasks add tasks",
      hints = {
        "Right now, does visit look at the second link before the first link's whole subtree is done?",
        "Where must the `local tg <close> = asyncio.TaskGroup()` block end so that crawl only sorts once every visit is over?",
        "Inside visit, how do you start visit(link) as a task of the group, without awaiting it?",
      },
      grants = {},
    },
    {
      name = "all_or_nothing",
      title = "One fails, all stop",
      hints = {
        "When the hotel fails at 2.0, who tells the car booking to stop?",
        "What does a TaskGroup do to its other tasks when one of them fails, and what does its block raise?",
        "Put the group in a function called with pcall. The error is an ExceptionGroup: which field holds the failures?",
      },
      grants = {},
    },
  },
}
