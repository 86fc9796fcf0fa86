return {
  title = "gather: run a batch, collect the results",
  summary = "gather runs awaitables at the same time and returns their results in argument order; sequential 6 s versus gathered 3 s.",
  exercises = {
    {
      name = "gather_fetches",
      title = "Gather a list of fetches",
      hints = {
        "Does calling fetch(source) without await run anything? What could you collect in a table instead?",
        "How do you pass every entry of a table as a separate argument to a function in Lua?",
        "await(asyncio.gather(table.unpack(coros))) gives a table in which order?",
      },
      grants = {},
    },
    {
      name = "price_check",
      title = "The cheapest shop, asked all at once",
      hints = {
        "How long does it take to ask three shops one after another, and how long all together?",
        "After the gather, the i-th price belongs to which shop?",
        "If corner answers nil, what does ipairs do when it reaches that slot? What does the n field tell you?",
      },
      grants = {},
    },
  },
}
