return {
  title = "await and asyncio.run: running coroutines",
  summary = "await runs a coroutine and returns all its results; asyncio.run starts the loop; chained awaits form a workflow.",
  exercises = {
    {
      name = "workflow",
      title = "Chain three steps",
      hints = {
        "Which value does each step need, and which earlier step produces it?",
        "What do you get from fetch_user(id) without await, and what do you get with it?",
        "Can you write it as three lines, `local user = await(...)`, `local orders = await(...)`, `return await(...)`?",
      },
      grants = {},
    },
    {
      name = "forecast",
      title = "Every value await returns",
      hints = {
        "How many values does measure return? How many does the starter keep?",
        "In Lua, how do you keep all the results of `return a, b, c` from a function call?",
        "Could `local degrees, wind, sky = await(measure(city))` replace two of the lines?",
      },
      grants = {},
    },
  },
}
