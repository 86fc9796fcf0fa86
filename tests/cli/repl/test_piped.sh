#!/usr/bin/env bash
# The REPL with stdin not a terminal: no prompts, no line editing; inputs run
# one by one (await works), results and errors printed, background tasks run
# until the end of input and are then cancelled; exit status 0.
source "$(dirname "$0")/../lib.bash"

case_ "expressions, locals, multi-line, await, errors"
run_stdin '1 + 1
local x = 10
x * 2
local function add(a, b)
  return a + b
end
add(x, 1)
"str\ting"
{1, 2, {a = 1, b = "x"}, name = "t"}
nil
1, nil, 3
await(asyncio.sleep(0.01, "slept"))
_
x = = 1
error("boom")
"after"
'
expect_rc 0
expect_out_exact '2
20
11
"str\ting"
{1, 2, {a = 1, b = "x"}, name = "t"}
nil
1	nil	3
"slept"
"slept"
"after"'
expect_err "^stdin:1: unexpected symbol near '='$"
expect_err '^stdin:1: boom$'
expect_err "^	stdin:1: in coroutine 'input'$"
expect_no_err '>'

case_ "background tasks run until the end of input, then are cancelled"
run_stdin 'asyncio.create_task(async(function() local ok, e = pcall(function() for i = 1, 100 do await(asyncio.sleep(0.02)); print("bg", i) end end); print("bg ends:", e) end)())
await(asyncio.sleep(0.05))
print("main")
'
expect_rc 0
expect_out "^<Task pending name='Task-1' coro=<anonymous\(\) at stdin:1>>"
expect_out '^bg	1$'
expect_out '^main$'
expect_out '^bg ends:	CancelledError$'
expect_no_err '.'

case_ "background tasks run while waiting for the next line"
out=$( { echo 'asyncio.create_task(async(function() for i = 1, 3 do await(asyncio.sleep(0.05)); print("tick", i) end end)())'; sleep 0.6; echo 'print("later")'; } | "$LUASYNC" 2>"$TMP/stderr"); rc=$?; err=$(cat "$TMP/stderr")
expect_rc 0
expect_out "^tick	3
later$"

case_ "an incomplete input at the end is a syntax error"
run_stdin 'for i = 1, 3 do
print(i)
'
expect_rc 0
expect_out_exact ''
expect_err "'end' expected \(to close 'for' at line 1\) near <eof>"

case_ "os.exit leaves with its status"
run_stdin 'print("before")
os.exit(3)
print("after")
'
expect_rc 3
expect_out_exact 'before'

case_ "stdin from a file and from /dev/null"
printf '6 * 7\n' > "$TMP/in.txt"
out=$("$LUASYNC" < "$TMP/in.txt" 2>"$TMP/stderr") && rc=0 || rc=$?; err=$(cat "$TMP/stderr")
expect_rc 0
expect_out_exact '42'
out=$("$LUASYNC" < /dev/null 2>"$TMP/stderr") && rc=0 || rc=$?; err=$(cat "$TMP/stderr")
expect_rc 0
expect_out_exact ''

case_ "pretty-printing: nesting, cycles, limits, functions, tasks"
run_stdin 't = {list = {1, 2, 3}, ["key with space"] = true, [10] = "ten"}; t.me = t; t
big = {}; for i = 1, 150 do big[i] = i end; big
deep = {{{{{{{{1}}}}}}}}; deep
print
asyncio.sleep
asyncio.sleep(1):close()
co = coroutine.create(function() coroutine.yield() end); co
asyncio.TimeoutError("slow")
string.rep("x", 5000)
'
expect_rc 0
expect_out '^\{\[10\] = "ten", \["key with space"\] = true, list = \{1, 2, 3\}, me = <cycle>\}$'
expect_out '100,$'
expect_out '\.\.\. \(50 more\),$'
expect_out '^\{\{\{\{\{\{\{\.\.\.\}\}\}\}\}\}\}$'
expect_out '^function: 0x[0-9a-f]+ \(builtin\)$'
expect_out '^async function: 0x[0-9a-f]+ \(builtin\)$'
expect_out '^thread: 0x[0-9a-f]+ \(suspended\)$'
expect_out '^TimeoutError: slow$'
expect_out '^"x+"\.\.\. \(5000 bytes\)$'

case_ "statements then an expression"
run_stdin 'local t = {}; t.x = 1; t
a = 1; b = 2; a + b;
'
expect_out_exact '{x = 1}
3'
finish
