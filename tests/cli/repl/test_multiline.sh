#!/usr/bin/env bash
# Multi-line input continues on ">> "; syntax errors are reported and the
# REPL goes on; top-level locals survive across inputs (closures share them).
source "$(dirname "$0")/lib.bash"

start
line 'local function add(a, b)'
wait_last '^>>$'
line '  return a + b'
wait_last '^>>$'
line 'end'
wait_prompt
line 'add(2, 3)'
wait_result '^5$'

# A table literal over several lines is an expression.
line '{'
wait_last '^>>$'
line '  answer = 42,'
wait_last '^>>$'
line '}'
wait_result '^\{answer = 42\}$'

# Locals survive, and closures share them with later inputs.
line 'local x = 10'
wait_prompt
line 'x * 2'
wait_result '^20$'
line 'local count = 0'
wait_prompt
line 'function bump() count = count + 1; return count end'
wait_prompt
line 'bump(); bump()'
wait_result '^2$'
line 'count'
wait_result '^2$'
line 'count = 100; bump()'
wait_result '^101$'
line 'local print = print; print("shadowed ok")'
wait_result '^shadowed ok$'
line 'x, rawget(_G, "x")'
wait_result '^10 +nil$'

# Syntax errors: reported, and the REPL goes on.
line 'x = = 1'
wait_screen "^stdin:1: unexpected symbol near '='$"
wait_prompt
line 'x'
wait_result '^10$'

# Ctrl-D inside an incomplete input reports it and stays.
line 'if x then'
wait_last '^>>$'
key C-d
wait_screen "'end' expected near <eof>$"
wait_prompt
line '"after"'
wait_result '^"after"$'
finish
