return {
  title = "Coroutines: functions that can pause",
  summary = "async makes coroutine functions; calling one makes a coroutine object that runs nothing until awaited.",
  exercises = {
    {
      name = "make_coroutine",
      title = "From function to coroutine function",
      hints = {
        "What does asyncio.iscoroutinefunction(greet) say right now? What turns a function into one?",
        "Once greet is async, what kind of value does greet(first) give you: a string, or something else?",
        "Inside an async function, which call turns a coroutine object into the value its body returns?",
      },
      grants = {},
    },
    {
      name = "classify",
      title = "Coroutine function or coroutine object?",
      hints = {
        "What does type(async(function() end)) return? Can type() alone tell the two kinds of function apart?",
        "Which of asyncio.iscoroutinefunction and asyncio.iscoroutine answers for the thing you call, and which for the thing you await?",
        "If you test type(x) == \"function\" first, which answer does a coroutine function get? Does the order of your tests matter?",
      },
      grants = {},
    },
  },
}
