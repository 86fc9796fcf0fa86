// result.h: a check result or a run as the terminal shows it (the commands
// and watch mode): the checks and their messages, the learner's own output
// (stdout, and stderr apart), the runtime's diagnostics with lines, and a
// run's timeline. (The browser tour has its JSON forms: tour.h.)
#pragma once

#include <string>

#include "render.h"
#include "runner.h"

namespace luasync::learn {

// The check result as the terminal shows it. verbose: every check with its
// output, not only the failed ones. Lines are not wrapped (the caller wraps
// to its width: wrap_text).
std::string format_result(const ExerciseResult& r, const Term& term, bool verbose);

// `learn run`: what was run, its output, results, time, diagnostics and
// timeline.
std::string format_run(const ExerciseResult& r, const Term& term);

}  // namespace luasync::learn
