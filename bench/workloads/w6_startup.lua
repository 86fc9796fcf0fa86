-- W6 startup: run one coroutine that prints "hi" via the runtime's run function.
-- Mirrors ../../../shared/bench/peers/py-asyncio/w6_startup.py.
local main = async(function()
  print("hi")
end)

asyncio.run(main())
