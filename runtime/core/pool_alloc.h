// pool_alloc.h: the Lua allocator of luasync's states: small blocks from
// per-size free lists, the rest from malloc.
//
// Lua tells the allocator the size of every block it frees or resizes, so
// blocks of up to kPoolMaxBlock bytes need no header: they are carved, by
// size class (multiples of 16 bytes), out of 64 KiB chunks, and a freed
// block goes onto its class's free list. Most of what the runtime allocates
// is that small and short-lived (coroutine objects, tasks, futures,
// closures, call frames), and glibc's malloc costs about five times more per
// allocation and frees, plus 8 to 16 bytes of header per block. Chunks go
// back to the system only when the state closes (pool_alloc_destroy), like
// the free lists of any malloc.
//
// Sanitizer builds use plain realloc/free, so that AddressSanitizer still
// sees every block.
#pragma once

#include <lua.hpp>

namespace luasync {

struct AllocPool;

inline constexpr size_t kPoolMaxBlock = 1024;

// A new, empty pool (nullptr if out of memory, or in a sanitizer build,
// where pool_alloc then falls back to realloc/free).
AllocPool* pool_alloc_create();
// The lua_Alloc; ud is the pool (or nullptr: realloc/free).
void* pool_alloc(void* ud, void* ptr, size_t osize, size_t nsize);
// Frees every chunk: after lua_close of the state that used it.
void pool_alloc_destroy(AllocPool* pool);

// luaL_newstate with a pool of its own (Lua's warnings as luaL_newstate's;
// no panic handler: install one). nullptr if out of memory.
lua_State* pool_newstate();
// lua_close, then frees the pool, of a state made by pool_newstate (an
// allocator swapped in meanwhile must keep the pool as its ud and hand its
// calls to pool_alloc).
void pool_close(lua_State* L);

}  // namespace luasync
