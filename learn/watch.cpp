// watch.cpp: `luasync learn` in a workspace, like rustlings' watch mode.
//
// Shows the current exercise and its check result, re-checks whenever its
// file is saved (a libuv fs event on the file's directory, since editors
// often save by renaming a new file over the old one; debounced), and reads
// single keys from the terminal in raw mode: h hint, n next, l list, r reset
// (asks first), c check again, q (or Ctrl-C, Ctrl-D) quit. The terminal mode
// is restored on every way out: q, a signal, or exit().
#include <unistd.h>
#include <uv.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "cli.h"

namespace luasync::learn {

namespace {

struct Watch {
  Engine* engine = nullptr;
  Workspace* ws = nullptr;
  Runner* runner = nullptr;
  Term term;
  uv_loop_t loop;
  uv_tty_t tty;
  uv_pipe_t pipe;
  bool is_tty = false;
  uv_fs_event_t fs_event;
  bool watching = false;
  uv_timer_t debounce;
  uv_signal_t sigs[3];
  Exercise* current = nullptr;
  std::string last_result;  // the rendered check result
  std::string note;         // a hint or message below it
  std::string checked;      // the exercise file's content at the last check
  enum class Screen { Exercise, List, ConfirmReset } screen = Screen::Exercise;
  bool quitting = false;
};

void restore_terminal() { uv_tty_reset_mode(); }

void draw(Watch& w) {
  const Term& t = w.term;
  Catalog& cat = w.engine->catalog();
  std::string out = "\x1b[H\x1b[2J";  // home, clear
  size_t done = 0;
  for (const auto& e : cat.exercises)
    if (w.ws->progress().done.count(e.name)) done++;
  out += t.bold("luasync learn") + "  " + progress_bar(done, cat.exercises.size(), 30, t) + " exercises done\n\n";
  if (w.screen == Watch::Screen::List) {
    for (const auto& l : cat.lessons) {
      out += t.bold(l.dir) + "  " + l.title + "\n";
      for (size_t xi : l.exercises) {
        const Exercise& e = cat.exercises[xi];
        bool d = w.ws->progress().done.count(e.name) > 0;
        std::string mark = d ? t.green(t.color ? "✓" : "x") : &e == w.current ? t.yellow(">") : " ";
        out += "   " + mark + " " + e.name + "  " + t.dim(e.title) + "\n";
      }
    }
    out += "\n" + t.dim("press any key to go back") + "\n";
  } else {
    const Exercise& ex = *w.current;
    out += "Exercise " + t.bold(ex.name) + ": " + ex.title + "  " + t.dim("(lesson " + ex.lesson_dir + ")") + "\n";
    out += "File     " + t.cyan(ex.workspace_path()) + "\n\n";
    out += w.last_result;
    if (w.ws->progress().done.count(ex.name))
      out += "\n" + t.green("All checks pass! Press n for the next exercise.") + "\n";
    if (!w.note.empty()) out += "\n" + w.note;
    out += "\n";
    if (w.screen == Watch::Screen::ConfirmReset)
      out += t.yellow("Reset " + ex.name + " to its starter file? Your version goes to .luasync-backup/. (y/n)") + "\n";
    else
      out += t.dim("Edit and save the file to check it.  h hint · n next · l list · r reset · c check · q quit") +
             "\n";
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
}

// The whole content of a file, or "" if it cannot be read.
std::string slurp(const std::string& path) {
  std::string out;
  if (FILE* f = std::fopen(path.c_str(), "rb")) {
    char buf[8192];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
    std::fclose(f);
  }
  return out;
}

void check_now(Watch& w) {
  w.checked = slurp(w.ws->path_of(*w.current));
  std::vector<Job> jobs(1);
  jobs[0].ex = w.current;
  jobs[0].path = w.ws->path_of(*w.current);
  jobs[0].display = w.current->workspace_path();
  auto results = w.runner->run(jobs);
  w.last_result = format_result(results[0], w.term, true);
  record_result(*w.ws, results[0]);
}

void on_debounce(uv_timer_t* h) {
  Watch& w = *static_cast<Watch*>(h->data);
  // Saved without a change (or our own reset echoing back): nothing to do.
  if (slurp(w.ws->path_of(*w.current)) == w.checked) return;
  w.note.clear();
  check_now(w);
  draw(w);
}

void on_fs_event(uv_fs_event_t* h, const char* filename, int events, int status) {
  Watch& w = *static_cast<Watch*>(h->data);
  std::string want = w.current->name + ".lua";
  if (status < 0 || (filename && want != filename)) return;
  uv_timer_start(&w.debounce, on_debounce, 100, 0);
}

void watch_current(Watch& w) {
  if (w.watching) uv_fs_event_stop(&w.fs_event);
  std::string dir = std::filesystem::path(w.ws->path_of(*w.current)).parent_path().string();
  w.watching = uv_fs_event_start(&w.fs_event, on_fs_event, dir.c_str(), 0) == 0;
}

void set_current(Watch& w, Exercise* ex) {
  w.current = ex;
  w.note.clear();
  w.ws->progress().current = ex->name;
  std::string err;
  if (!w.ws->save(&err)) w.note = w.term.red(err) + "\n";
  watch_current(w);
  check_now(w);
}

void quit(Watch& w) {
  if (w.quitting) return;
  w.quitting = true;
  restore_terminal();
  std::printf("\n");
  std::fflush(stdout);
  uv_stop(&w.loop);
}

void on_key(Watch& w, char k) {
  if (w.screen == Watch::Screen::List) {
    w.screen = Watch::Screen::Exercise;
    if (k == 'q' || k == 3 || k == 4) return quit(w);
    draw(w);
    return;
  }
  if (w.screen == Watch::Screen::ConfirmReset) {
    w.screen = Watch::Screen::Exercise;
    if (k == 'y' || k == 'Y') {
      std::string backup, err;
      if (reset_exercise(*w.ws, *w.current, &backup, &err)) {
        w.ws->progress().done.erase(w.current->name);
        w.ws->save(&err);
        check_now(w);
        w.note = "Reset to the starter file" + (backup.empty() ? "" : "; your version is in " + backup) + ".\n";
      } else {
        w.note = w.term.red(err) + "\n";
      }
    } else {
      w.note = "Not reset.\n";
    }
    draw(w);
    return;
  }
  switch (k) {
    case 'q':
    case 3:  // Ctrl-C (raw mode delivers it as a key)
    case 4:  // Ctrl-D
      quit(w);
      return;
    case 'h':
      w.note = next_hint(w.ws, *w.current, w.term);
      break;
    case 'n': {
      Exercise* next = next_exercise(w.engine->catalog(), *w.ws, w.current);
      if (!next) {
        w.note = w.term.green("Every exercise passes. Well done!") + "\n";
        break;
      }
      set_current(w, next);
      break;
    }
    case 'l':
      w.screen = Watch::Screen::List;
      break;
    case 'r':
      w.screen = Watch::Screen::ConfirmReset;
      break;
    case 'c':
      w.note.clear();
      check_now(w);
      break;
    default:
      return;
  }
  draw(w);
}

void on_alloc(uv_handle_t*, size_t, uv_buf_t* buf) {
  static char mem[256];
  *buf = uv_buf_init(mem, sizeof mem);
}

void on_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  Watch& w = *static_cast<Watch*>(s->data);
  if (n < 0) {  // end of input
    quit(w);
    return;
  }
  for (ssize_t i = 0; i < n && !w.quitting; i++) on_key(w, buf->base[i]);
}

void on_signal(uv_signal_t* h, int) { quit(*static_cast<Watch*>(h->data)); }

void close_all(uv_handle_t* h, void*) {
  if (!uv_is_closing(h)) uv_close(h, nullptr);
}

}  // namespace

int watch_main(Engine& engine, Workspace& ws, Runner& runner, const Term& term) {
  Watch w;
  w.engine = &engine;
  w.ws = &ws;
  w.runner = &runner;
  w.term = term;
  w.current = ws.current(engine.catalog());
  if (!w.current) {
    std::fprintf(stderr, "luasync learn: there are no exercises\n");
    return 1;
  }
  uv_loop_init(&w.loop);
  uv_fs_event_init(&w.loop, &w.fs_event);
  w.fs_event.data = &w;
  uv_timer_init(&w.loop, &w.debounce);
  w.debounce.data = &w;
  int sig[3] = {SIGINT, SIGTERM, SIGHUP};
  for (int i = 0; i < 3; i++) {
    uv_signal_init(&w.loop, &w.sigs[i]);
    w.sigs[i].data = &w;
    uv_signal_start(&w.sigs[i], on_signal, sig[i]);
  }
  uv_stream_t* in;
  if (uv_guess_handle(0) == UV_TTY && uv_tty_init(&w.loop, &w.tty, 0, 1) == 0) {
    w.is_tty = true;
    std::atexit(restore_terminal);
    uv_tty_set_mode(&w.tty, UV_TTY_MODE_RAW);
    in = reinterpret_cast<uv_stream_t*>(&w.tty);
  } else {
    uv_pipe_init(&w.loop, &w.pipe, 0);
    uv_pipe_open(&w.pipe, 0);
    in = reinterpret_cast<uv_stream_t*>(&w.pipe);
  }
  in->data = &w;
  uv_read_start(in, on_alloc, on_read);

  set_current(w, w.current);
  draw(w);
  uv_run(&w.loop, UV_RUN_DEFAULT);

  restore_terminal();
  uv_walk(&w.loop, close_all, nullptr);
  uv_run(&w.loop, UV_RUN_DEFAULT);
  uv_loop_close(&w.loop);
  return 0;
}

}  // namespace luasync::learn
