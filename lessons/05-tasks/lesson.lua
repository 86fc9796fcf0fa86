return {
  title = "Tasks: work that runs on its own",
  summary = "create_task starts a coroutine in the background; done, result and names; tasks versus bare coroutines.",
  exercises = {
    {
      name = "background_download",
      title = "Tea while it downloads",
      hints = {
        "When you await download_update() directly, can anything else happen before it is done?",
        "What does asyncio.create_task(download_update()) give back, and when does the download start running?",
        "After the tea is ready, how do you get the download's result out of the task?",
      },
      grants = {},
    },
    {
      name = "status_board",
      title = "Looking at running tasks",
      hints = {
        "Which function starts a chore without waiting for it, and how do you give the task a name?",
        "After starting all three, how do you let exactly look_at seconds pass?",
        "For each task: which method says whether it has finished, and which gives its result?",
      },
      grants = {},
    },
  },
}
