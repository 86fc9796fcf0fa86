-- Wrong: starts the email task and never looks at it again
-- Fails: a bounced email is reported
-- Fails: no task error goes unretrieved
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
  return "saved " .. name .. "; email sent"
end)

return { signup = signup }
