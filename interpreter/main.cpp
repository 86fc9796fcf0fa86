// main.cpp: the luasync command line.
//
//   luasync [options] [FILE [args...]]   run a script (no FILE: the REPL)
//   luasync -e CODE                      run a chunk of code
//
// Exit status: 0 success, 1 an uncaught error (message and traceback on
// stderr), 2 bad usage.
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "interpreter.h"

namespace {

const char* kUsage =
    "usage: luasync [options] [FILE [args...]]\n"
    "       luasync [options] -e CODE [args...]\n"
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
    "  --version        print the version and exit\n"
    "  -h, --help       print this help and exit\n"
    "  --               stop handling options\n"
    "\n"
    "exit status: 0 on success, 1 on an uncaught error, 2 on bad usage.\n";

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
