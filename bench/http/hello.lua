-- hello.lua: the HTTP hello-world for bench/http/run.sh.
--   luasync bench/http/hello.lua [PORT]
local http = require("asyncio.http")

local port = tonumber(arg and arg[1]) or 8081

asyncio.run(async(function()
  local server <close> = await(http.serve(async(function(req)
    return "Hello, World!"
  end), {host = "127.0.0.1", port = port}))
  print("listening on " .. server.url)
  io.stdout:flush()
  await(server:serve_forever())
end)())
