// tour.h: `luasync tour`, the lessons in the browser (docs/tour.md).
//
// Three pieces, one process each:
//   - the front (tour.cpp, learn/lua/tour.lua): `luasync tour` itself. A
//     luasync program on the HTTP server of asyncio.http (h2o), bound to
//     127.0.0.1, that answers only requests carrying its random token. It
//     serves the page (learn/web/, CodeMirror from Debian's libjs-codemirror,
//     the timeline's script; all compiled into the binary), the lessons
//     (rendered from Markdown with cmark) and the workspace's exercise files
//     and progress, through the natives below.
//   - the job backend (tour_backend.cpp): `luasync tour --backend WS`, which
//     the front starts with pipes. It holds the lesson engine with every
//     check loaded, as `luasync learn check` does, and runs Run and Check
//     with the same Runner and sandbox (runner.h, sandbox.h), streaming the
//     output as it is printed and the timeline pictures of each run, then
//     the result; a check's result goes into the progress as the terminal's
//     does. One job at a time, so the front stays free while one runs.
//   - the page (learn/web/tour.js), in the browser.
//
// Both speak JSON (tour_pages.cpp makes it): the backend a line per message
// on its stdout, the front to the page.
#pragma once

#include <string>

#include "catalog.h"
#include "runner.h"
#include "workspace.h"

namespace luasync::learn {

// `luasync tour ...` (argv[0] is "tour"); returns the exit status.
int tour_main(int argc, char** argv);

namespace tour {

// The JSON the page reads (tour_pages.cpp). ws may be null (no workspace).
std::string catalog_json(const Catalog& cat, Workspace* ws);
std::string progress_json(const Catalog& cat, Workspace* ws);
// A lesson: its text as HTML (cmark; the code blocks that are examples
// marked "language-luasync-example-NAME", the others "language-lua") and
// its exercises. Empty if there is no such lesson.
std::string lesson_json(const Catalog& cat, const std::string& key, Workspace* ws);
// An exercise and the learner's file (or a problem reading it).
std::string exercise_json(const Catalog& cat, const Exercise& ex, Workspace* ws);
// The result of a check, with what the terminal shows (format_result) too.
std::string check_json(const ExerciseResult& r, const Catalog& cat, Workspace* ws);
// How a run ended (its output was streamed before).
std::string run_json(const ExerciseResult& r);
// Lesson Markdown as HTML, with the code blocks that are examples marked.
std::string lesson_html(const Lesson& lesson);

// The backend (tour_backend.cpp): reads requests on stdin until it closes.
int backend_main(const std::string& workspace, const std::string& lessons, double time_limit);

}  // namespace tour

}  // namespace luasync::learn
