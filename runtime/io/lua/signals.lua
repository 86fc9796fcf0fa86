-- signals.lua: asyncio.signal, and (native, runtime/io/signals.cpp)
-- loop:add_signal_handler(signum, fn, ...) / loop:remove_signal_handler(signum).
--
--   local loop = asyncio.get_running_loop()
--   loop:add_signal_handler(asyncio.signal.SIGTERM, function() stop:set() end)
local asyncio = ...

-- {SIGTERM = 15, SIGHUP = 1, SIGUSR1 = 10, SIGUSR2 = 12} (numbers of this
-- system); add_signal_handler also takes the names.
asyncio.signal = require("asyncio._signal")
