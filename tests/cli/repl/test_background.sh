#!/usr/bin/env bash
# The loop runs while the prompt waits: a background task prints, and the
# line being typed (also one wrapped over several rows) stays intact; the
# runtime's own messages (stderr) do not garble it either.
source "$(dirname "$0")/lib.bash"

no_tick_on_prompt_line() { ! screen | grep -qE '^>.*tick [0-9]'; }
ticks_in_order() {
  screen | grep -E '^tick [0-9]+$' | awk '{ if (NR > 1 && $2 != prev + 1) bad = 1; prev = $2 } END { exit bad }'
}

start
line 'ticker = asyncio.create_task(async(function() for i = 1, 1000 do await(asyncio.sleep(0.05)); print("tick " .. i) end end)())'
wait_screen '^tick 3$'
text 'typed = "intact"'
# Ticks go on above the line being typed.
wait_screen '^tick 12$'
check "typed line is the last line, intact" _last_is '^> typed = "intact"$'
check "no tick on a prompt line" no_tick_on_prompt_line
check "ticks whole and in order" ticks_in_order
key Enter
wait_prompt
line 'typed'
wait_screen '^"intact"$'

# A long line, wrapped over three rows, survives output too.
long='long_value = "'$(printf 'x%.0s' $(seq 1 230))'"'
text "$long"
n=$(count_lines '^tick ')
wait_screen "^tick $((n + 8))\$"
check "wrapped line intact" _last_is "^> ${long}\$"
key C-u

# stderr from the runtime (an error in a callback) while typing.
line 'asyncio.get_running_loop():call_later(0.2, function() error("callback boom") end)'
wait_prompt
text 'still = 1'
wait_screen '^stdin:1: callback boom'
wait_screen "^tick $(( $(count_lines '^tick ') + 3 ))\$"
check "line intact after stderr output" _last_is '^> still = 1$'
key C-u

check "no tick on a prompt line" no_tick_on_prompt_line
check "ticks whole and in order" ticks_in_order
line 'ticker:cancel()'
wait_prompt

# A partial line (io.write without newline) is held until its newline.
line 'asyncio.create_task(async(function() io.write("part-"); io.flush(); await(asyncio.sleep(0.3)); io.write("whole\n") end)())'
wait_prompt
text 'partial = 1'
wait_screen '^part-whole$'
check "line intact after a line written in two parts" _last_is '^> partial = 1$'
finish
