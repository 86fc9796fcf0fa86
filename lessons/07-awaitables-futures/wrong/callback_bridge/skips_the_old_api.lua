-- Wrong: skips old_lookup and sleeps itself, so an unknown key gives nil instead of an error
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
  return asyncio.sleep(1, facts[key])
end

return { lookup = lookup }
