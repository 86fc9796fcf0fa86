// options.h: strict options tables, for every function that takes one.
//
// An options table may hold only the keys its function documents: any other
// key (a typo, an option of another function, an option this version does
// not have) is an error that names it and lists the accepted ones:
//
//   bad option 'ssl' to 'open_connection' (unknown option; accepted: limit, local_addr)
//
// C++ bindings call check_options() on the table before reading it; the Lua
// layer calls the same code through asyncio._check_options (see
// docs/internals.md), so the message is the same everywhere.
#pragma once

#include <lua.hpp>

namespace luasync {

// Checks the options table at idx of function `fname`: nothing happens if
// the value is none or nil; a value that is not a table raises
// "bad argument #arg to 'fname' (table of options expected, got T)" (with
// arg 0: "bad options to 'fname' (table expected, got T)"); a key not in
// `accepted` (a nullptr-terminated list) raises the error above. `prefix`
// is put before the key in the message, for nested tables ("timeline.").
// `level` says where the error is reported (as luaL_where: 1 is the caller
// of the C function that is running, 0 no position). Returns whether there is a
// table.
bool check_options(lua_State* L, int idx, const char* fname, const char* const* accepted, int arg = 0,
                   int level = 1, const char* prefix = "");

// asyncio._check_options(opts, fname, accepted [, arg [, level [, prefix]]]):
// the same for the Lua layer; `accepted` is an array of names or a set
// {name = true}, `level` is
// as error()'s (1: the function that calls _check_options; default 2: its
// caller). Returns whether there is a table.
int l_check_options(lua_State* L);

}  // namespace luasync
