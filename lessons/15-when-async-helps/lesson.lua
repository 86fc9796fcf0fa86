return {
  title = "When async helps, and when it does not",
  summary = "I/O-bound versus CPU-bound (a Fibonacci); concurrency versus parallelism; threads and subprocesses for parallel computation.",
  exercises = {
    {
      name = "overlap_io_cpu",
      title = "Let the feeds wait while you compute",
      hints = {
        "Can anything else run while compute_statistics holds the thread? Can something that started waiting before it keep waiting?",
        "asyncio.gather(...) starts tasks without your await. When do those tasks get their first turn to send their requests?",
        "What does await(asyncio.sleep(0)) do between starting the feeds and computing? Where do you await the feeds afterwards?",
      },
      grants = {},
    },
    {
      name = "parallel_fib",
      title = "Fibonacci on every core",
      hints = {
        "How many processes are running at any moment right now?",
        "fib_in_process(n) without await is a coroutine object. What runs several of them at once?",
        "Does asyncio.gather(table.unpack(coros)) keep the results in the order of ns?",
      },
      grants = { subprocess = true },
    },
    {
      name = "threads_fib",
      title = "Fibonacci in threads",
      hints = {
        "While fib_all computes, which thread is doing the work, and can any other task run?",
        "asyncio.to_thread(fib, n) makes a coroutine object. What happens to it if you await it right away, inside the loop?",
        "What runs several coroutine objects at once and gives their results back in order?",
      },
      grants = {},
    },
  },
}
