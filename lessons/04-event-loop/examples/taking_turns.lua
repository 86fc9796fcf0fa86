-- One thread: coroutines take turns, and only at an await.
local player = async(function(name, shots)
  for i = 1, shots do
    print(name .. " " .. i)
    await(asyncio.sleep(0))   -- sleep(0): "let everyone else have a turn first"
  end
end)

asyncio.run(async(function()
  await(asyncio.gather(player("ping", 3), player("pong", 3)))
end)())
