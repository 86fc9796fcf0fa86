-- Exercise: background_download
--
-- A game update downloads for 3 seconds. Meanwhile you want to make tea
-- (2 seconds). As written, you stare at the progress bar first and only
-- then make tea: 5 seconds. Start the download as a task so the tea is
-- made while it downloads, and return both results.

local download_update = async(function()
  await(asyncio.sleep(3))
  return "update 1.2 installed"
end)

local make_tea = async(function()
  await(asyncio.sleep(2))
  return "a cup of tea"
end)

local evening = async(function()
  -- TODO: start the download as a task, so it runs while you make tea.
  local update = await(download_update())
  local tea = await(make_tea())
  -- TODO: once the tea is made, wait for the download task to finish.
  return update, tea
end)

return { evening = evening }
