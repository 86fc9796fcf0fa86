-- Exercise: callback_bridge
--
-- `old_lookup(key, on_done)` is an old-style API: it does not return the
-- answer, it calls on_done(value) later, or on_done(nil, message) if the
-- key is unknown. Write `lookup(key)`, which returns an awaitable, so that
--   local value = await(lookup("capital"))
-- works, and so that an unknown key makes the await raise the message.

local facts = { capital = "Lisbon", river = "Tagus", bridge = "25 de Abril" }

local function old_lookup(key, on_done)
  local loop = asyncio.get_running_loop()
  loop:call_later(1, function()
    if facts[key] then
      on_done(facts[key])
    else
      on_done(nil, "no fact about " .. key)
    end
  end)
end

local function lookup(key)
  -- TODO: make a future, call old_lookup with a callback that fills it
  --       (set_result for a value, set_exception for a message),
  --       and return the future.
  return nil
end

return { lookup = lookup }
