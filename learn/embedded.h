// embedded.h: what learn/CMakeLists.txt compiles into the binary.
#pragma once

#include "embedded_lua.h"

namespace luasync {

// learn/lua/*.lua ("@[learn]/checker.lua"), ending with {nullptr, nullptr, 0}.
const EmbeddedChunk* embedded_learn_chunks();
// lessons/**/*.{md,lua,out}, named by their path under lessons/
// ("01-why-async/lesson.md"), ending with {nullptr, nullptr, 0}.
const EmbeddedChunk* embedded_lesson_files();
// docs/coming-from-python.md ("coming-from-python.md"), for `learn show python`.
const EmbeddedChunk* embedded_guides();

}  // namespace luasync
