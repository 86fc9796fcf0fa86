#!/usr/bin/env bash
# Ctrl-C: cancels only an awaiting input (a background task survives), stops
# a loop without awaits, clears the line being typed; twice stops a runaway
# background task. Ctrl-D and `exit` leave, cancelling background tasks.
source "$(dirname "$0")/lib.bash"

marker="$TMP/cancelled.txt"
start
line 'n = 0; bg = asyncio.create_task(async(function() while true do await(asyncio.sleep(0.02)); n = n + 1 end end)())'
wait_prompt

# Ctrl-C while an input awaits.
line 'await(asyncio.sleep(100)); print("not cancelled")'
wait_screen 'await\(asyncio.sleep\(100\)\)'
sleep 0.3 # let it reach the await (there is no prompt to wait for)
key C-c
wait_screen '^KeyboardInterrupt: input cancelled$'
wait_prompt
line 'n1 = n; await(asyncio.sleep(0.2)); n > n1, bg:done()'
wait_result '^true +false$'
check "the cancelled input did not go on" bash -c '! grep -q "^not cancelled" <<<"$1"' _ "$(screen)"

# Ctrl-C stops a loop that never awaits.
line 'while true do end'
sleep 0.3
key C-c
wait_screen 'KeyboardInterrupt: input cancelled'
wait_prompt
line '1 + 1'
wait_result '^2$'

# Ctrl-C while typing clears the line; in a continuation it drops the input.
text 'abandoned + line'
wait_last '^> abandoned \+ line$'
key C-c
wait_prompt
line 'for i = 1, 3 do'
wait_last '^>>$'
key C-c
wait_prompt
line '"fresh"'
wait_result '^"fresh"$'

# A runaway background task: the first Ctrl-C cannot be answered, the second stops it.
spinning="$TMP/spinning.txt"
line "runaway = asyncio.create_task(async(function() await(asyncio.sleep(0.1)); io.open('$spinning', 'w'):close(); while true do end end)())"
wait_prompt
_wait "the runaway task to spin" test -e "$spinning"
key C-c
sleep 0.2
key C-c
wait_prompt
line 'runaway:cancelled(), bg:done()'
wait_result '^true +false$'

# Ctrl-D leaves; the background task is cancelled cleanly (its handler runs).
line "bg2 = asyncio.create_task(async(function() local ok, e = pcall(await, asyncio.sleep(100)); local f = io.open('$marker', 'w'); f:write(tostring(e)); f:close() end)())"
wait_prompt
key C-d
wait_exit
check "exit status 0" _screen_has '^\[exited 0\]$'
check "background task saw its cancellation" grep -qx 'CancelledError' "$marker"

# `exit` on an empty line leaves too.
start
line 'exit'
wait_exit
check "exit leaves" _screen_has '^\[exited 0\]$'
finish
