return {
  title = "Why async: the waiting problem",
  summary = "Three fetches of 2, 3 and 1 s: 6 s one after another, 3 s at the same time.",
  exercises = {
    {
      name = "kitchen",
      title = "Boil the water while the oven heats",
      hints = {
        "While the water is boiling, is there anything stopping you from switching on the oven?",
        "all_at_once.lua hands several coroutine objects to one function at once. Which function?",
        "asyncio.gather(a(), b(), c()) gives back one table. At which index is the oven's result?",
      },
      grants = {},
    },
    {
      name = "three_fetches",
      title = "Overlap what does not depend on each other",
      hints = {
        "Which fetch has to finish before the others can even start? Which two could run side by side?",
        "Can you keep `local key = await(read_config())` as it is and only change the two lines after it?",
        "What does asyncio.gather(query_database(key), call_api(key)) give back, and how do you return its two entries?",
      },
      grants = {},
    },
  },
}
