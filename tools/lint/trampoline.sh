#!/usr/bin/env bash
# trampoline.sh ROOT: every lua_CFunction of luasync goes through the one
# trampoline (runtime/bind/trampoline.h; docs/internals.md). Outside that
# header, the sources of runtime/, interpreter/ and learn/ may not use the
# raw Lua API that registers or continues a C function: they use Reg/fn<F>,
# set_funcs, new_lib, push_fn, push_closure, cfn, yieldk, callk and pcallk.
set -euo pipefail
root=${1:?usage: trampoline.sh ROOT}
pattern='\b(lua_pushcfunction|lua_pushcclosure|luaL_setfuncs|luaL_newlib|luaL_Reg|lua_register|lua_yieldk|lua_callk|lua_pcallk|lua_atpanic)\b'
bad=$(cd "$root" && grep -rnE "$pattern" --include='*.cpp' --include='*.h' runtime interpreter learn |
  grep -v '^runtime/bind/trampoline.h:' | grep -vE '^[^:]+:[0-9]+:\s*//' || true)
if [ -n "$bad" ]; then
  echo "$bad" >&2
  echo "trampoline: the raw Lua API above bypasses the trampoline (use runtime/bind/trampoline.h)" >&2
  exit 1
fi
echo "trampoline: every C function is registered through runtime/bind/trampoline.h"
