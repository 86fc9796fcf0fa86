-- A future is a box for a result that somebody will put in later.
local function now()
  return string.format("%.1f", asyncio.get_running_loop():time())
end

asyncio.run(async(function()
  local loop = asyncio.get_running_loop()
  local parcel = asyncio.Future()
  print(now(), "ordered a parcel, done: " .. tostring(parcel:done()))

  parcel:add_done_callback(function(fut)
    print(now(), "done callback sees: " .. fut:result())
  end)

  -- Somebody else (here a timer, often the network) fills the box later.
  loop:call_later(2, function()
    print(now(), "the courier rings")
    parcel:set_result("a new kettle")
  end)

  local what = await(parcel)        -- main sleeps until the box is filled
  print(now(), "unpacked " .. what)

  local ok, err = pcall(parcel.set_result, parcel, "a second kettle")
  print(now(), "filling it again works?", ok, tostring(err))
end)())
