-- Wrong: fills the future with the value even when old_lookup reports an error
-- Fails: an unknown key makes the await raise
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
  local fut = asyncio.Future()
  old_lookup(key, function(value)
    fut:set_result(value)
  end)
  return fut
end

return { lookup = lookup }
