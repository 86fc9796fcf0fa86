// marshal.h: copying Lua values between Lua states (the worker threads of
// asyncio.to_thread each have their own state).
//
// What can be copied: nil, booleans, numbers (integers stay integers),
// strings, and tables of those (tables as keys too), with shared subtables
// and cycles kept as they are. Anything else -- functions, userdata,
// threads, tables with a metatable -- is refused with an error that says
// what it is and where ("argument #2: field 'f': a function cannot be
// copied to a thread").
//
// Values are encoded into a byte buffer (a Blob) in one state and decoded
// in the other; the buffer is plain memory (malloc), owned by a userdata
// while a state works on it, so a Lua error never leaks it. Only the Lua
// API runs while encoding and decoding: no C++ object needs unwinding.
#pragma once

#include <lua.hpp>

#include <cstddef>

namespace luasync {

// Encoded values: malloc'd bytes.
struct Blob {
  char* data = nullptr;
  size_t size = 0;
  size_t cap = 0;
};

// Frees b's bytes (b itself is not freed).
void blob_free(Blob* b);

// Pushes a userdata that owns a new, empty Blob (freed by its __gc) and
// returns the Blob.
Blob* push_blob(lua_State* L);

// Encodes the n values at first..first+n-1 into b. On a value that cannot be
// copied, raises "<what> #<index>: <path>: <reason>" (what: "argument",
// "result"; index counts from index0), or, with `fname`, the same as
// "bad argument #<index> to 'fname' (<path>: <reason>)".
void marshal_encode(lua_State* L, Blob* b, int first, int n, const char* what, int index0, const char* fname);

// Sets b to the encoding of one string value, without a Lua state (for
// errors a worker thread reports when it has no state). False if out of
// memory.
bool marshal_message(Blob* b, const char* msg);

// Decodes the values of data[0..size) onto L's stack; returns how many.
// Raises on a malformed buffer or when memory runs out.
int marshal_decode(lua_State* L, const char* data, size_t size);

}  // namespace luasync
