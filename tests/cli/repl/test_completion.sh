#!/usr/bin/env bash
# Tab completion: globals, table fields, methods through the metatable's
# __index (Lua objects and userdata), session locals, commands.
source "$(dirname "$0")/lib.bash"

start
text 'asyncio.ga'
key Tab
wait_last '^> asyncio\.gather\($'
key C-u

line 'f = asyncio.Future(); q = asyncio.Queue()'
wait_prompt
text 'f:set_r'
key Tab
wait_last '^> f:set_result\($'
key C-u
text 'q:put_n'
key Tab
wait_last '^> q:put_nowait\($'
key C-u

# Several candidates: the first Tab completes the common part, the second lists them.
text 'asyncio.Que'
key Tab
wait_last '^> asyncio\.Queue$'
key Tab
wait_screen 'QueueEmpty\( +QueueFull\('
wait_last '^> asyncio\.Queue$'
key C-u

line 'local my_session_local = {inner_field = 1}'
wait_prompt
text 'my_sess'
key Tab
wait_last '^> my_session_local$'
text '.inn'
key Tab
wait_last '^> my_session_local\.inner_field$'
key C-u

# The network names (issue 14): asyncio.ssl, unix sockets, getaddrinfo, websockets.
text 'asyncio.ssl.create_c'
key Tab
wait_last '^> asyncio\.ssl\.create_context\($'
key C-u
text 'asyncio.open_unix_c'
key Tab
wait_last '^> asyncio\.open_unix_connection\($'
key C-u
text 'asyncio.getaddr'
key Tab
wait_last '^> asyncio\.getaddrinfo\($'
key C-u
line 'http = require("asyncio.http")'
wait_prompt
text 'http.ws_c'
key Tab
wait_last '^> http\.ws_connect\($'
key C-u

# The names issue 14 added (asyncio's own part): "typed|expected line".
complete_each() {
  local pair
  for pair in "$@"; do
    text "${pair%%|*}"
    key Tab
    wait_last "^> ${pair#*|}\$"
    key C-u
  done
}
complete_each 'asyncio.to_th|asyncio\.to_thread\(' 'asyncio.ThreadP|asyncio\.ThreadPoolExecutor\(' \
  'asyncio.ContextV|asyncio\.ContextVar\(' 'asyncio.copy_c|asyncio\.copy_context\(' \
  'asyncio.Barr|asyncio\.Barrier\(' 'asyncio.BrokenB|asyncio\.BrokenBarrierError\(' \
  'asyncio.QueueS|asyncio\.QueueShutDown\(' 'asyncio.ensure_f|asyncio\.ensure_future\(' \
  'asyncio.signal.SIGT|asyncio\.signal\.SIGTERM' 'asyncio.Runn|asyncio\.Runner\('
line 'loop = asyncio.get_running_loop(); tk = asyncio.create_task(asyncio.sleep(100))'
wait_prompt
complete_each 'loop:add_sig|loop:add_signal_handler\(' 'loop:remove_sig|loop:remove_signal_handler\(' \
  'loop:run_in|loop:run_in_executor\(' 'loop:set_default_e|loop:set_default_executor\(' \
  'q:shut|q:shutdown\(' 'tk:get_st|tk:get_stack\(' 'tk:print_st|tk:print_stack\('

text ':cl'
key Tab
wait_last '^> :clock$'
key C-u
text 'string.for'
key Tab
wait_last '^> string\.format\($'
key C-u
wait_prompt
finish
