-- Wrong: starts the task but awaits it right away, before the tea
-- Fails: the tea is made while the update downloads
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
  local update = await(download)
  local tea = await(make_tea())
  return update, tea
end)

return { evening = evening }
