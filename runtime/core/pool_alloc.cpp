// pool_alloc.cpp: see pool_alloc.h.
#include "pool_alloc.h"

#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <new>

#if defined(__SANITIZE_ADDRESS__)
#define LUASYNC_POOL_ALLOC 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LUASYNC_POOL_ALLOC 0
#endif
#endif
#ifndef LUASYNC_POOL_ALLOC
#define LUASYNC_POOL_ALLOC 1
#endif

namespace luasync {

namespace {

constexpr size_t kGrain = 16;
constexpr size_t kClasses = kPoolMaxBlock / kGrain;
constexpr size_t kChunkSize = 64 * 1024;

struct FreeBlock {
  FreeBlock* next;
};

struct Chunk {
  Chunk* next;
};

}  // namespace

struct AllocPool {
  FreeBlock* free[kClasses] = {};
  Chunk* chunks = nullptr;
  // The chunk blocks are being carved from: [cur, end).
  char* cur = nullptr;
  char* end = nullptr;
};

namespace {

// Class of a block of n bytes (1 <= n <= kPoolMaxBlock): its size is
// (class + 1) * kGrain.
inline size_t size_class(size_t n) { return (n - 1) / kGrain; }

inline void pool_put(AllocPool* p, void* ptr, size_t n) {
  size_t c = size_class(n);
  auto* b = static_cast<FreeBlock*>(ptr);
  b->next = p->free[c];
  p->free[c] = b;
}

void* pool_get(AllocPool* p, size_t n) {
  size_t c = size_class(n);
  if (FreeBlock* b = p->free[c]) {
    p->free[c] = b->next;
    return b;
  }
  size_t size = (c + 1) * kGrain;
  if (static_cast<size_t>(p->end - p->cur) < size) {
    // What is left of the current chunk (a multiple of kGrain, smaller
    // than this class) is one block of a smaller class.
    if (p->cur != p->end) pool_put(p, p->cur, static_cast<size_t>(p->end - p->cur));
    auto* chunk = static_cast<Chunk*>(std::malloc(kChunkSize));
    if (!chunk) return nullptr;
    chunk->next = p->chunks;
    p->chunks = chunk;
    p->cur = reinterpret_cast<char*>(chunk) + kGrain;  // keeps blocks 16-byte aligned
    p->end = reinterpret_cast<char*>(chunk) + kChunkSize;
  }
  void* b = p->cur;
  p->cur += size;
  return b;
}

}  // namespace

AllocPool* pool_alloc_create() {
#if LUASYNC_POOL_ALLOC
  void* mem = std::malloc(sizeof(AllocPool));
  return mem ? new (mem) AllocPool() : nullptr;
#else
  return nullptr;
#endif
}

void pool_alloc_destroy(AllocPool* p) {
  if (!p) return;
  for (Chunk* c = p->chunks; c;) {
    Chunk* next = c->next;
    std::free(c);
    c = next;
  }
  std::free(p);
}

void* pool_alloc(void* ud, void* ptr, size_t osize, size_t nsize) {
  auto* p = static_cast<AllocPool*>(ud);
  if (!p) {
    if (nsize == 0) {
      std::free(ptr);
      return nullptr;
    }
    return std::realloc(ptr, nsize);
  }
  // For a new block (ptr null) osize is a type tag, not a size.
  bool old_small = ptr && osize <= kPoolMaxBlock;
  if (nsize == 0) {
    if (old_small)
      pool_put(p, ptr, osize);
    else
      std::free(ptr);
    return nullptr;
  }
  if (!ptr) return nsize <= kPoolMaxBlock ? pool_get(p, nsize) : std::malloc(nsize);
  if (nsize <= kPoolMaxBlock) {
    if (old_small && size_class(osize) == size_class(nsize)) return ptr;
    void* nb = pool_get(p, nsize);
    if (!nb) {
      // Lua counts on shrinking never failing: keep the block (freeing it
      // later as a block of nsize bytes puts it on that class's list, which
      // it is large enough for).
      return nsize <= osize ? ptr : nullptr;
    }
    std::memcpy(nb, ptr, osize < nsize ? osize : nsize);
    if (old_small)
      pool_put(p, ptr, osize);
    else
      std::free(ptr);
    return nb;
  }
  if (!old_small) return std::realloc(ptr, nsize);
  void* nb = std::malloc(nsize);
  if (!nb) return nullptr;  // growing: nsize > kPoolMaxBlock >= osize
  std::memcpy(nb, ptr, osize);
  pool_put(p, ptr, osize);
  return nb;
}

namespace {

// Lua warnings (the `warn` function), as luaL_newstate's: off until "@on",
// pieces of one message concatenated on stderr.
void warn_off(void* ud, const char* msg, int tocont);
void warn_on(void* ud, const char* msg, int tocont);

bool warn_control(lua_State* L, const char* msg, int tocont) {
  if (tocont || *msg != '@') return false;
  if (std::strcmp(msg, "@off") == 0)
    lua_setwarnf(L, warn_off, L);
  else if (std::strcmp(msg, "@on") == 0)
    lua_setwarnf(L, warn_on, L);
  return true;
}

void warn_cont(void* ud, const char* msg, int tocont) {
  auto* L = static_cast<lua_State*>(ud);
  std::fputs(msg, stderr);
  if (tocont) {
    lua_setwarnf(L, warn_cont, L);
  } else {
    std::fputs("\n", stderr);
    std::fflush(stderr);
    lua_setwarnf(L, warn_on, L);
  }
}

void warn_on(void* ud, const char* msg, int tocont) {
  if (warn_control(static_cast<lua_State*>(ud), msg, tocont)) return;
  std::fputs("Lua warning: ", stderr);
  warn_cont(ud, msg, tocont);
}

void warn_off(void* ud, const char* msg, int tocont) { warn_control(static_cast<lua_State*>(ud), msg, tocont); }

}  // namespace

lua_State* pool_newstate() {
  AllocPool* pool = pool_alloc_create();
  lua_State* L = lua_newstate(pool_alloc, pool);
  if (!L) {
    pool_alloc_destroy(pool);
    return nullptr;
  }
  lua_setwarnf(L, warn_off, L);
  return L;
}

void pool_close(lua_State* L) {
  void* ud = nullptr;
  lua_getallocf(L, &ud);
  lua_close(L);
  pool_alloc_destroy(static_cast<AllocPool*>(ud));
}

}  // namespace luasync
