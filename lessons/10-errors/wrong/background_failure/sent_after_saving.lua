-- Wrong: sends the email after saving, not as a task
-- Fails: a good email is reported as sent, and the two overlap
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
  await(save_user(name))
  local ok, err = pcall(await, send_welcome(name))
  if ok then
    return "saved " .. name .. "; email sent"
  end
  return "saved " .. name .. "; email failed: " .. tostring(err)
end)

return { signup = signup }
