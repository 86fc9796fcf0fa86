-- Exercise: background_failure
--
-- signup(name) saves a new user (1 s) while a welcome email is sent in
-- the background (0.5 s). Sending fails for some addresses. signup must
-- report what really happened:
--   "saved ada; email sent"
--   "saved bob; email failed: <error>"
-- As written, the email task is started and forgotten: its failure goes
-- unnoticed ("Task exception was never retrieved").

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
  -- TODO: the email task has finished by now, but nobody has looked at
  --       how it ended. Await it (catching its error with pcall) and
  --       report either "email sent" or "email failed: <error>".
  return "saved " .. name .. "; email sent"
end)

return { signup = signup }
