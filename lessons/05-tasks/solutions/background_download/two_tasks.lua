-- Right: both as tasks, then both awaited
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
  local kettle = asyncio.create_task(make_tea(), "tea")
  local update = await(download)
  local tea = await(kettle)
  return update, tea
end)

return { evening = evening }
