-- Right: lookup is a coroutine function that awaits the future itself
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

local lookup = async(function(key)
  local fut = asyncio.Future()
  old_lookup(key, function(value, err)
    if err then
      fut:set_exception(err)
    else
      fut:set_result(value)
    end
  end)
  return await(fut)
end)

return { lookup = lookup }
