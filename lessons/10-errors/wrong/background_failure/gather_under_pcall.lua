-- Wrong: a pcall around gather: it reports the bounce at 0.5 s, before the user is saved
-- Fails: a bounced email is reported
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
  local ok, err = pcall(await, asyncio.gather(save_user(name), send_welcome(name)))
  if ok then
    return "saved " .. name .. "; email sent"
  end
  return "saved " .. name .. "; email failed: " .. tostring(err)
end)

return { signup = signup }
