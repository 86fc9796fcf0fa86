-- Wrong: raises the error inside the callback, where nobody awaits it: the future is never filled
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
  old_lookup(key, function(value, err)
    if err then
      error(err)
    else
      fut:set_result(value)
    end
  end)
  return fut
end

return { lookup = lookup }
