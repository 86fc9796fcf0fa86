return {
  title = "The event loop: who runs next",
  summary = "One thread, a ready queue and timers; call_soon and call_later; three workers finishing at 1, 2 and 3 s.",
  exercises = {
    {
      name = "alarm_clock",
      title = "Timers on the loop",
      hints = {
        "Which loop method runs a function after a delay, and which arguments does it pass on to that function?",
        "When remind returns, the loop shuts down. What happens to timers that have not rung yet?",
        "How long must remind sleep so the latest reminder has rung? How do you find the largest `at` in the list?",
      },
      grants = {},
    },
    {
      name = "countdown",
      title = "Callbacks that schedule callbacks",
      hints = {
        "Right now, who ever calls tick? What does the loop do when main awaits a future nobody will fill?",
        "Which loop method puts a function at the end of the ready queue, without any delay?",
        "Inside tick, how do you ask for tick(n - 1) to run one second later, without sleeping?",
      },
      grants = {},
    },
  },
}
