#!/usr/bin/env bash
# Top-level await at the prompt, expression results, _, pretty-printing,
# errors with tracebacks, the virtual clock (:clock).
source "$(dirname "$0")/lib.bash"

start
line '1 + 1'
wait_result '^2$'
line 'await(asyncio.sleep(0.05, "slept"))'
wait_result '^"slept"$'
line 'r = await(asyncio.sleep(0, 41))'
wait_prompt
line 'r + 1'
wait_result '^42$'
line '_ * 2'
wait_result '^84$'

# Several values, nil, tables.
line '1, nil, "a"'
wait_result '^1 +nil +"a"$'
line 'await(asyncio.gather(asyncio.sleep(0.01, "x"), asyncio.sleep(0.02, "y")))'
wait_result '^\{"x", "y", n = 2\}$'
line 'local t = {1, 2, sub = {a = true}}; t.self = t; t'
wait_result '^\{1, 2, self = <cycle>, sub = \{a = true\}\}$'

# Tasks, futures and coroutines show their state.
line 'task = asyncio.create_task(asyncio.sleep(30), "sleeper"); task'
wait_result "^<Task pending name='sleeper' coro=<sleep\(\)>>$"
line 'task'
wait_result "^<Task pending name='sleeper' coro=<sleep\(\)> sleeping>$"
line 'asyncio.Future()'
wait_result '^<Future pending>$'
line 'task:cancel(); await(asyncio.sleep(0)); task'
wait_result "^<Task cancelled name='sleeper'"

# An error prints its traceback, and the REPL goes on.
line 'local function fail() await(asyncio.sleep(0)); error("boom") end'
wait_prompt
line 'fail()'
wait_screen '^stdin:1: boom$'
wait_screen "^stack traceback:$"
wait_prompt
line '"still here"'
wait_result '^"still here"$'

# The virtual clock: an hour passes at once, exactly.
line ':clock virtual'
wait_screen '^clock: virtual \(loop time'
line 'loop = asyncio.get_running_loop(); t0 = loop:time(); s = os.clock()'
wait_prompt
line 'await(asyncio.sleep(3600)); loop:time() - t0, os.clock() - s < 1'
wait_result '^3600\.0 +true$'
line ':clock'
wait_screen '^clock: real \(loop time'
line 'await(asyncio.sleep(0.05, "real again"))'
wait_result '^"real again"$'

check "no crash" _screen_has '"real again"'
finish
