// main.cpp: the luasync command line.
//
//   luasync [options] [FILE [args...]]   run a script (no FILE: the REPL)
//   luasync -e CODE                      run a chunk of code
//
// Exit status: 0 success, 1 an uncaught error (message and traceback on
// stderr), 2 bad usage.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "cli.h"
#include "grade.h"
#include "tour.h"
#include "interpreter.h"
#include "recorder.h"

namespace {

const char* kUsage =
    "usage: luasync [options] [FILE [args...]]\n"
    "       luasync [options] -e CODE [args...]\n"
    "       luasync httpbin [--port N] [--host H]   a local HTTP test server\n"
    "       luasync learn [COMMAND]      lessons and exercises (luasync learn --help)\n"
    "       luasync grade SUBMISSION...  grade submissions of the exercises (luasync grade --help)\n"
    "       luasync tour [--port N] [--no-open] [WORKSPACE]\n"
    "                                    the lessons in your browser (luasync tour --help)\n"
    "\n"
    "Runs Lua 5.4 with Python-style async/await: the globals asyncio, async and\n"
    "await are preloaded (see docs/api.md). Without FILE or -e, starts the REPL.\n"
    "\n"
    "options:\n"
    "  -e CODE          run CODE (as a chunk; args go to the global 'arg')\n"
    "  --virtual-time   run asyncio.run on the virtual clock: sleeps cost no\n"
    "                   real time and timing is deterministic\n"
    "  --debug          asyncio debug mode: report callbacks and task steps that\n"
    "                   block the loop longer than 0.1 s\n"
    "  --timeline       record every asyncio.run and, after the program, print a\n"
    "                   chart of its tasks (running vs waiting) to stdout;\n"
    "                   colour on a terminal unless NO_COLOR is set\n"
    "  --timeline=svg FILE   the chart as an SVG picture in FILE (- : stdout):\n"
    "                   hover a bar for what the task awaits\n"
    "  --timeline=html FILE  a self-contained page with the chart; click a bar\n"
    "                   for the task's call graph at that moment\n"
    "  --trace FILE     record every asyncio.run and write its tasks to FILE in\n"
    "                   the Chrome trace format (open in ui.perfetto.dev)\n"
    "  --width N        draw the --timeline chart N columns wide (default: the\n"
    "                   terminal's width, or 80)\n"
    "  --version        print the version and exit\n"
    "  -h, --help       print this help and exit\n"
    "  --               stop handling options\n"
    "\n"
    "Ctrl-C cancels the program's asyncio.run main task (it may clean up); a\n"
    "second one interrupts whatever runs; a third ends luasync at once.\n"
    "\n"
    "exit status: 0 on success, 1 on an uncaught error, 2 on bad usage, 130\n"
    "when Ctrl-C interrupted the program.\n";

int usage_error(const char* fmt, const char* what) {
  std::fprintf(stderr, "luasync: ");
  std::fprintf(stderr, fmt, what);
  std::fprintf(stderr, "\n%s", kUsage);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  luasync::RunOptions opts;
  opts.argv0 = argv[0];
  // `luasync learn ...`: the lessons (learn/cli.cpp).
  if (argc >= 2 && std::strcmp(argv[1], "learn") == 0) return luasync::learn::learn_main(argc - 1, argv + 1);
  // `luasync grade ...`: grading for instructors (learn/grade.cpp).
  if (argc >= 2 && std::strcmp(argv[1], "grade") == 0) return luasync::learn::grade_main(argc - 1, argv + 1);
  // `luasync tour ...`: the lessons in the browser (learn/tour.cpp).
  if (argc >= 2 && std::strcmp(argv[1], "tour") == 0) return luasync::learn::tour_main(argc - 1, argv + 1);
  // `luasync httpbin ...`: the built-in HTTP test server (asyncio.httpbin).
  if (argc >= 2 && std::strcmp(argv[1], "httpbin") == 0) {
    opts.code = "return require('asyncio.httpbin').cli(...)";
    opts.has_code = true;
    for (int j = 0; j < argc; j++) opts.argv.push_back(argv[j]);
    opts.script_index = 1;
    opts.first_arg = 2;
    return luasync::run_program(opts);
  }
  int i = 1;
  for (; i < argc; i++) {
    const char* a = argv[i];
    if (std::strcmp(a, "--") == 0) {
      i++;
      break;
    }
    if (a[0] != '-' || a[1] == '\0') break;  // FILE (or "-" for stdin)
    if (std::strcmp(a, "-h") == 0 || std::strcmp(a, "--help") == 0) {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (std::strcmp(a, "--version") == 0 || std::strcmp(a, "-v") == 0) {
      std::printf("luasync %s (%s, libuv %s)\n", LUASYNC_VERSION, LUA_RELEASE, luasync::libuv_version());
      return 0;
    }
    if (std::strcmp(a, "--virtual-time") == 0) {
      opts.virtual_time = true;
    } else if (std::strcmp(a, "--debug") == 0) {
      opts.debug = true;
    } else if (std::strcmp(a, "--timeline") == 0 || std::strcmp(a, "--timeline=text") == 0) {
      opts.timeline = true;
    } else if (std::strncmp(a, "--timeline=", 11) == 0) {
      luasync::TimelineFormat f;
      if (!luasync::parse_timeline_format(a + 11, &f))
        return usage_error("unknown timeline format in '%s' (text, svg or html)", a);
      if (i + 1 >= argc || !*argv[i + 1])
        return usage_error("option '%s' needs a file name (the picture to write; - for stdout)", a);
      opts.timeline = true;
      opts.timeline_format = a + 11;
      opts.timeline_path = std::strcmp(argv[i + 1], "-") == 0 ? nullptr : argv[i + 1];
      i++;
    } else if (std::strcmp(a, "--trace") == 0 || std::strncmp(a, "--trace=", 8) == 0) {
      if (a[7] == '=') {
        opts.trace_path = a + 8;
      } else if (i + 1 < argc) {
        opts.trace_path = argv[++i];
      } else {
        return usage_error("option '%s' needs an argument (the trace file to write)", a);
      }
      if (!*opts.trace_path) return usage_error("option '%s' needs a file name", "--trace");
    } else if (std::strcmp(a, "--width") == 0 || std::strncmp(a, "--width=", 8) == 0) {
      const char* n = a[7] == '=' ? a + 8 : i + 1 < argc ? argv[++i] : nullptr;
      char* end = nullptr;
      long w = n ? std::strtol(n, &end, 10) : 0;
      if (!n || *end || w < 30 || w > 1000)
        return usage_error("option '%s' needs a number of columns from 30 to 1000", "--width");
      opts.width = static_cast<int>(w);
    } else if (std::strcmp(a, "-e") == 0) {
      if (i + 1 >= argc) return usage_error("option '%s' needs an argument (the code to run)", a);
      opts.code = argv[++i];
      opts.has_code = true;
      i++;
      break;
    } else {
      return usage_error("unrecognized option '%s'", a);
    }
  }
  if (!opts.has_code && i < argc) {
    opts.script = argv[i];
    opts.has_script = true;
    opts.script_index = i;
    i++;
  } else {
    opts.script_index = i - 1;
  }
  for (int j = 0; j < argc; j++) opts.argv.push_back(argv[j]);
  opts.first_arg = i;
  if (!opts.has_code && !opts.has_script) return luasync::run_repl(opts);
  return luasync::run_program(opts);
}
