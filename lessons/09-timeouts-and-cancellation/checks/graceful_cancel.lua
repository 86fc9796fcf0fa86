-- Checks for the graceful_cancel exercise.
local files = { "a.jpg", "b.jpg", "c.jpg", "d.jpg" }

return {
  {
    name = "the half-copied file is cleaned up",
    points = 2,
    run = function(t)
      local r = t.call(t.load().run_and_stop, files, 2.5)
      t.no_error(r)
      t.eq(r.output, "1.0 copied a.jpg\n2.0 copied b.jpg\n2.5 removing partial c.jpg\n",
        "cancelled at 2.5 s, in the middle of c.jpg: the task should print the cleanup line for c.jpg, "
        .. "at 2.5, and copy nothing after that")
    end,
  },
  {
    name = "the task still ends as cancelled",
    points = 2,
    run = function(t)
      local r = t.call(t.load().run_and_stop, files, 2.5)
      t.no_error(r)
      t.eq(r.values[1], true,
        "task:cancelled() is false: copy_files caught the CancelledError and carried on (or returned). "
        .. "After cleaning up, raise the error again with error(err, 0)")
      t.time(r, 2.5, {
        [4.0] = "4.0 s: the copy went on after it was cancelled.",
      })
    end,
  },
  {
    name = "without a cancel, every file is copied",
    points = 1,
    run = function(t)
      local r = t.call(t.load().copy_files, { "x.txt", "y.txt" })
      t.no_error(r)
      t.eq(r.values[1], "all copied", "copy_files returns \"all copied\" when nothing interrupts it")
      t.eq(r.output, "1.0 copied x.txt\n2.0 copied y.txt\n", "no cleanup line when nothing was cancelled")
    end,
  },
}
