// cli.h: `luasync learn ...` (dispatched from interpreter/main.cpp).
#pragma once

#include <string>

#include "catalog.h"
#include "render.h"
#include "runner.h"
#include "workspace.h"

namespace luasync::learn {

// argv[0] is "learn"; returns the exit status.
int learn_main(int argc, char** argv);

// Shared by the commands and watch mode.
std::string format_result(const ExerciseResult& r, const Term& term, bool verbose);
// Records a check result in the progress (done or not); false if it could not be saved.
void record_result(Workspace& ws, const ExerciseResult& r);
// After a check of r's exercise passed: the current exercise moves on to the
// next one not done (if r's was the current one); returns that one, or nullptr.
Exercise* advance_after_pass(Workspace& ws, Catalog& cat, const ExerciseResult& r);
// The exercise after `ex` that is not done (wrapping around), or nullptr.
Exercise* next_exercise(Catalog& cat, const Workspace& ws, const Exercise* ex);
// "Hint 2 of 3: ..." and the bookkeeping; saves the progress.
std::string next_hint(Workspace* ws, const Exercise& ex, const Term& term);

// Watch mode (watch.cpp).
int watch_main(Engine& engine, Workspace& ws, Runner& runner, const Term& term);
// The self-check of the lessons (selfcheck.cpp).
int selfcheck_main(Engine& engine, Runner& runner, const Term& term, bool verbose);

}  // namespace luasync::learn
