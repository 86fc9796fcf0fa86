#!/usr/bin/env bash
# History is kept in $LUASYNC_HISTORY across sessions.
source "$(dirname "$0")/lib.bash"

start
line 'hist_first = 41'
wait_prompt
line 'hist_second = hist_first + 1'
wait_prompt
key C-d
wait_exit
check "history file has the lines" grep -qx 'hist_second = hist_first + 1' "$HISTFILE_"

start
key Up
wait_last '^> hist_second = hist_first \+ 1$'
key Up
wait_last '^> hist_first = 41$'
key Enter
wait_prompt
key Up
wait_last '^> hist_first = 41$'
key C-u
# Ctrl-R searches it.
key C-r
text 'second'
wait_screen "second': hist_second = hist_first \\+ 1$"
key Enter
wait_prompt
line 'hist_second'
wait_result '^42$'
finish
