return {
  title = "Fetching the web concurrently",
  summary = "Many HTTP requests against the built-in test server: one session, gather, a semaphore to stay polite, and failures handled per request.",
  exercises = {
    {
      name = "fetch_pages",
      title = "Many pages, one session",
      hints = {
        "How long does the loop take for /delay/2, /delay/3 and /delay/1, and how long would the slowest alone take?",
        "Could you move the body of the for loop into a small async function fetch(path) that returns the page table?",
        "Then: a table of fetch(path) coroutine objects, and one await(asyncio.gather(table.unpack(...))). Does gather keep the order?",
      },
      grants = { http = true },
    },
    {
      name = "polite_crawler",
      title = "At most `limit` requests in flight",
      hints = {
        "How many requests are in flight at the same moment right now?",
        "Which synchronization object counts free slots, and how many slots should it have here?",
        "`local _ <close> = await(sem:hold())` at the top of fetch: when is the slot given back?",
      },
      grants = { http = true },
    },
    {
      name = "robust_fetch",
      title = "Every failure in its place",
      hints = {
        "Is a 503 answer an error raised by await, or a response? Which field tells you?",
        "Which option of session:get limits a request's time, and what does it raise when the time is up?",
        "How do you catch that error inside check, so that one slow path does not end the whole report? And are the checks gathered?",
      },
      grants = { http = true },
    },
  },
}
