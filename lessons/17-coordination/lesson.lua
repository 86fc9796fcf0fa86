return {
  title = "Coordinating tasks: Queue, Lock, Event, Semaphore",
  summary = "Producers and consumers with a Queue, a Lock against lost updates, an Event as a starting signal, a Semaphore as a limit.",
  exercises = {
    {
      name = "pipeline",
      title = "A pool of workers and a queue",
      hints = {
        "Which queue method gives a worker its next photo, waiting if there is none yet? And which tells the queue the photo is handled?",
        "How does main know that every photo has been handled, although the workers never return?",
        "The workers loop forever. After queue:join(), what do you do with their tasks?",
        "Fewer than 6 results? In `done[#done + 1] = await(resize(photo))`, when is #done + 1 computed: before or after the wait, and what did the other worker do meanwhile?",
      },
      grants = {},
    },
    {
      name = "bank_account",
      title = "The lost update",
      hints = {
        "Ten deposits read the balance at 0.0. What does each one write at 0.1?",
        "Which tool lets only one task at a time run the read, wait, write?",
        "Where does the lock live so that deposits to the same account share it, and how do you hold it until the function ends? (`local _ <close> = await(...:hold())`)",
      },
      grants = {},
    },
    {
      name = "starting_gun",
      title = "Everyone waits for the signal",
      hints = {
        "Right now, what stops a runner from starting at 0.0?",
        "Which object lets any number of tasks wait until one task says go?",
        "Runners await gun:wait(); what does race call on the gun after printing BANG?",
      },
      grants = {},
    },
  },
}
