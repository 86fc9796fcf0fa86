-- Wrong: returns the tea first
-- Fails: evening returns the update and the tea
local download_update = async(function()
  await(asyncio.sleep(3))
  return "update 1.2 installed"
end)

local make_tea = async(function()
  await(asyncio.sleep(2))
  return "a cup of tea"
end)

local evening = async(function()
  local download = asyncio.create_task(download_update(), "download")
  local tea = await(make_tea())       -- the download runs meanwhile
  local update = await(download)      -- 1 s left by now
  return tea, update
end)

return { evening = evening }
