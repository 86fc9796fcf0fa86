// cli.h: `luasync learn ...` (dispatched from interpreter/main.cpp).
#pragma once

#include <string>

#include "catalog.h"
#include "render.h"
#include "result.h"
#include "runner.h"
#include "workspace.h"

namespace luasync::learn {

// argv[0] is "learn"; returns the exit status.
int learn_main(int argc, char** argv);

// Shared by the commands and watch mode (format_result: result.h).
// Records a check result in the progress (done or not), merged under the
// workspace lock; false with a message if it could not be saved.
bool record_result(Workspace& ws, const ExerciseResult& r, std::string* err);
// After a check of r's exercise passed: the current exercise moves on to the
// next one not done (if r's was the current one), under the lock; returns
// that one, or nullptr.
Exercise* advance_after_pass(Workspace& ws, Catalog& cat, const ExerciseResult& r, std::string* err = nullptr);
// The exercise after `ex` that is not done (wrapping around), or nullptr.
Exercise* next_exercise(Catalog& cat, const Progress& p, const Exercise* ex);
// The exercise before `ex` in lesson order, or nullptr for the first.
Exercise* previous_exercise(Catalog& cat, const Exercise* ex);
// "Hint 2 of 3: ..." and the bookkeeping; saves the progress.
std::string next_hint(Workspace* ws, const Exercise& ex, const Term& term);

// Watch mode (watch.cpp), on `start` (nullptr: the current exercise).
int watch_main(Engine& engine, Workspace& ws, Runner& runner, const Term& term, Exercise* start = nullptr);
// The self-check of the lessons (selfcheck.cpp).
int selfcheck_main(Engine& engine, Runner& runner, const Term& term, bool verbose);

}  // namespace luasync::learn
