-- Right: waits for the task, then asks it for its exception
local bounces = { bob = "mailbox full" }

local send_welcome = async(function(name)
  await(asyncio.sleep(0.5))
  if bounces[name] then
    error(bounces[name], 0)
  end
end)

local save_user = async(function(name)
  await(asyncio.sleep(1))
end)

local signup = async(function(name)
  local email = asyncio.create_task(send_welcome(name))
  await(save_user(name))
  await(asyncio.wait({ email }))
  local err = email:exception()
  if err == nil then
    return "saved " .. name .. "; email sent"
  end
  return string.format("saved %s; email failed: %s", name, tostring(err))
end)

return { signup = signup }
