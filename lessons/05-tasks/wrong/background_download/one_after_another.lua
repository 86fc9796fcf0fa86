-- Wrong: awaits the download before making tea, with no task
-- Fails: the tea is made while the update downloads
-- Fails: the download runs as a task
local download_update = async(function()
  await(asyncio.sleep(3))
  return "update 1.2 installed"
end)

local make_tea = async(function()
  await(asyncio.sleep(2))
  return "a cup of tea"
end)

local evening = async(function()
  local update = await(download_update())
  local tea = await(make_tea())
  return update, tea
end)

return { evening = evening }
