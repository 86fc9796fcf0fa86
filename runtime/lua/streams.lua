-- streams.lua: TCP streams (asyncio.open_connection, asyncio.start_server)
-- and the error classes of all I/O (streams, subprocesses, files).
--
-- The streams themselves are native (runtime/stream.cpp, asyncio._stream):
-- reader and writer methods that wait return futures, so
-- `await(reader:readline())` suspends only when the data is not buffered yet.
-- This file adds the names to asyncio, the error classes, and the methods
-- that are simplest in Lua.
local asyncio = ...

local await = asyncio.await

-- OSError: an error of the operating system, raised by every I/O operation.
-- tostring(err) is its message, "ENOENT: no such file or directory: /x/y";
-- fields: code ("ENOENT"), errno (2), and what it concerns (path, or
-- address/host/port for network operations).
local OSError = asyncio.Error:extend("OSError")
OSError.__tostring = function(e) return tostring(rawget(e, "message")) end
asyncio.OSError = OSError

-- IncompleteReadError: EOF came before readexactly(n) or readuntil(sep)
-- could complete; `partial` holds the bytes read, `expected` the count
-- (nil for readuntil).
asyncio.IncompleteReadError = asyncio.Error:extend("IncompleteReadError")

-- LimitOverrunError: readuntil/readline found no separator within the
-- stream's limit (64 KiB unless open_connection/start_server got {limit=}).
asyncio.LimitOverrunError = asyncio.Error:extend("LimitOverrunError")

local native = require("asyncio._stream")

-- asyncio.open_connection(host, port [, {limit = n}]): awaitable of
-- reader, writer.
asyncio.open_connection = native.open_connection

-- asyncio.start_server(handler, host, port [, {limit = n, backlog = n}]):
-- awaitable of a server listening on host:port (port 0: any free port, see
-- server.port). handler(reader, writer) runs as a task per connection.
asyncio.start_server = native.start_server

-- reader:lines(): an iterator for a generic `for` inside an async function,
-- giving each line without its end-of-line ("\n" or "\r\n") until EOF. The
-- iterator awaits, so it must be called from a task.
function native.StreamReader.lines(reader)
  return function()
    local line = await(reader:readline())
    if line == "" then return nil end
    if line:byte(-1) == 10 then
      line = line:sub(1, line:byte(-2) == 13 and -3 or -2)
    end
    return line
  end
end
