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

// The runtime's Lua layer in load order, ending with {nullptr, nullptr, 0}.
const EmbeddedChunk* embedded_runtime_chunks();
// runtime/lua/modules/NAME.lua, each require("asyncio.NAME").
const EmbeddedChunk* embedded_module_chunks();
// runtime/web/* (the timeline's script and style sheet), as text.
const EmbeddedChunk* embedded_runtime_web();

}  // namespace luasync
