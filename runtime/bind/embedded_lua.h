// embedded_lua.h: files compiled into the binary (generated at build time by
// tools/embed.cpp): the Lua layer as precompiled bytecode, lessons as text.
#pragma once

#include <cstddef>

namespace luasync {

struct EmbeddedChunk {
  const char* name;  // "@[asyncio]/gather.lua" (bytecode) or "01-why-async/lesson.md" (text)
  const char* code;  // bytecode: load with mode "b"
  size_t size;
};

// Each layer declares its own tables (run.h: the core's; modules.h: io's),
// each ending with {nullptr, nullptr, 0}.

}  // namespace luasync
