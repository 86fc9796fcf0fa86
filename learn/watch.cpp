// watch.cpp: `luasync learn [watch [NAME]]` in a workspace, like rustlings'
// watch mode.
//
// Shows the current exercise and its check result, re-checks whenever its
// file is saved (a libuv fs event on the file's directory, since editors
// often save by renaming a new file over the old one; debounced), and
// redraws when the progress file changes (a check or hint in another
// terminal, the browser tour). Every change of the progress goes through
// Workspace::update, so nothing another process recorded is ever lost.
//
// Keys (raw mode on a terminal): h hint, n next, p previous, l list, r reset
// (asks first), c check again, q (or Ctrl-C, Ctrl-D) quit. The list is
// interactive: arrows (or j/k) move, PgUp/PgDn page, a number and Enter
// jump, Enter opens, Esc goes back. When stdin is not a terminal, the same
// keys are read one command per line, and the end of input quits. The
// terminal mode is restored on every way out: q, a signal, or exit().
#include <fcntl.h>
#include <unistd.h>
#include <uv.h>

#include <cctype>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "cli.h"

namespace luasync::learn {

namespace {

// Keys beyond single bytes.
enum Key : int {
  kUp = 1000,
  kDown,
  kPageUp,
  kPageDown,
  kHome,
  kEnd,
  kEsc,
  kEnter,
};

struct Watch {
  Engine* engine = nullptr;
  Workspace* ws = nullptr;
  Runner* runner = nullptr;
  Term term;
  uv_loop_t loop;
  enum class Input { Tty, Pipe, File, None } input = Input::None;
  uv_tty_t tty;
  uv_pipe_t pipe;
  uv_fs_t file_req;
  bool file_reading = false;
  char file_buf[256];
  uv_fs_event_t fs_event;  // the current exercise's directory
  bool watching = false;
  uv_fs_event_t progress_event;  // the workspace root (the progress file)
  uv_timer_t debounce;
  uv_timer_t progress_debounce;
  uv_signal_t sigs[4];
  Exercise* current = nullptr;
  ExerciseResult result;  // the last check of the current exercise
  bool has_result = false;
  std::string note;       // a hint or message below it
  std::string checked;    // the exercise file's content at the last check
  enum class Screen { Exercise, List, ConfirmReset } screen = Screen::Exercise;
  size_t cursor = 0;      // List: the exercise under the cursor
  std::string number;     // List: digits typed so far
  std::string pending;    // bytes of an escape sequence not complete yet
  std::string line;       // line mode: the command being read
  bool quitting = false;
  bool drawn = false;
};

void restore_terminal() { uv_tty_reset_mode(); }

size_t index_of(const Catalog& cat, const Exercise* ex) {
  for (size_t i = 0; i < cat.exercises.size(); i++)
    if (&cat.exercises[i] == ex) return i;
  return 0;
}

size_t done_count(const Watch& w) {
  size_t done = 0;
  for (const auto& e : w.engine->catalog().exercises)
    if (w.ws->progress().is_done(e.name)) done++;
  return done;
}

// The list screen's lines and, in *cursor_line, the line of the cursor.
std::vector<std::string> list_lines(const Watch& w, size_t* cursor_line) {
  const Term& t = w.term;
  const Catalog& cat = w.engine->catalog();
  const Progress& p = w.ws->progress();
  std::vector<std::string> lines;
  size_t width = std::to_string(cat.exercises.size()).size();
  for (const auto& l : cat.lessons) {
    lines.push_back(t.bold(l.dir) + "  " + l.title);
    for (size_t xi : l.exercises) {
      const Exercise& e = cat.exercises[xi];
      bool here = xi == w.cursor;
      if (here) *cursor_line = lines.size();
      std::string num = std::to_string(xi + 1);
      num.insert(0, width - num.size(), ' ');
      std::string mark = p.is_done(e.name) ? t.green(t.color ? "✓" : "x") : " ";
      std::string name = e.name;
      name.resize(std::max<size_t>(name.size(), 20), ' ');
      std::string text = num + " " + mark + " " + name + " " + e.title;
      if (&e == w.current) text += t.yellow("  (current)");
      lines.push_back((here ? (t.color ? t.wrap("7", "> ") : "> ") : "  ") + text);
    }
  }
  return lines;
}

std::string render(Watch& w) {
  const Term& t = w.term;
  Catalog& cat = w.engine->catalog();
  std::string out = t.bold("luasync learn") + "  " + progress_bar(done_count(w), cat.exercises.size(), 30, t) +
                    " exercises done\n\n";
  if (w.screen == Watch::Screen::List) {
    size_t cursor_line = 0;
    auto lines = list_lines(w, &cursor_line);
    // A page: what fits between the header and the two footer lines.
    size_t page = static_cast<size_t>(std::max(5, w.term.height - 5));
    size_t top = 0;
    if (lines.size() > page) {
      top = cursor_line >= page / 2 ? cursor_line - page / 2 : 0;
      top = std::min(top, lines.size() - page);
    }
    for (size_t i = top; i < lines.size() && i < top + page; i++) out += lines[i] + "\n";
    std::string where = lines.size() > page ? "lines " + std::to_string(top + 1) + "-" +
                                                  std::to_string(std::min(lines.size(), top + page)) + " of " +
                                                  std::to_string(lines.size()) + " · "
                                            : "";
    out += "\n";
    if (!w.number.empty())
      out += t.yellow("go to exercise " + w.number + "_  (Enter to open)") + "\n";
    else
      out += t.dim(where + "↑↓ move · PgUp PgDn page · number+Enter jump · Enter open · Esc back") + "\n";
    return out;
  }
  const Exercise& ex = *w.current;
  out += "Exercise " + t.bold(ex.name) + ": " + ex.title + "  " +
         t.dim("(" + std::to_string(index_of(cat, &ex) + 1) + " of " + std::to_string(cat.exercises.size()) +
               ", lesson " + ex.lesson_dir + ")") +
         "\n";
  out += "File     " + t.cyan(ex.workspace_path()) + "\n\n";
  if (w.has_result) out += format_result(w.result, t, true);
  if (w.has_result && w.result.passed())
    out += "\n" + t.green("All checks pass! Press n for the next exercise.") + "\n";
  if (!w.note.empty()) out += "\n" + w.note;
  out += "\n";
  if (w.screen == Watch::Screen::ConfirmReset)
    out += t.yellow("Reset " + ex.name + " to its starter file? Your version is kept in .luasync-backup/. (y/n)") +
           "\n";
  else
    out += t.dim("Edit and save the file to check it.  h hint · n next · p previous · l list · r reset · c check · "
                 "q quit") +
           "\n";
  return out;
}

void draw(Watch& w) {
  if (w.quitting) return;
  std::string text = wrap_text(render(w), w.term.width);
  if (w.term.tty) {
    text = "\x1b[H\x1b[2J" + text;  // home, clear
  } else if (w.drawn) {
    text = "\n" + text;  // not a terminal: one screen after the other
  }
  w.drawn = true;
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

void check_now(Watch& w) {
  std::string path = w.ws->path_of(*w.current);
  if (!read_file(path, &w.checked)) w.checked.clear();
  std::vector<Job> jobs(1);
  jobs[0].ex = w.current;
  jobs[0].path = path;
  jobs[0].display = w.current->workspace_path();
  auto results = w.runner->run(jobs);
  w.result = std::move(results[0]);
  w.has_result = true;
  std::string err;
  if (!record_result(*w.ws, w.result, &err)) w.note += w.term.red("Your progress could not be saved: " + err) + "\n";
}

void on_debounce(uv_timer_t* h) {
  Watch& w = *static_cast<Watch*>(h->data);
  // Saved without a change (or our own reset echoing back): nothing to do.
  std::string now;
  if (!read_file(w.ws->path_of(*w.current), &now)) now.clear();
  if (now == w.checked) return;
  w.note.clear();
  check_now(w);
  draw(w);
}

void on_fs_event(uv_fs_event_t* h, const char* filename, int, int status) {
  Watch& w = *static_cast<Watch*>(h->data);
  std::string want = w.current->name + ".lua";
  if (status < 0 || (filename && want != filename)) return;
  uv_timer_start(&w.debounce, on_debounce, 100, 0);
}

// The progress file changed (here or in another process): read it again.
void on_progress_debounce(uv_timer_t* h) {
  Watch& w = *static_cast<Watch*>(h->data);
  Progress before = w.ws->progress();
  std::string err;
  if (!w.ws->load(&err)) return;  // being replaced: the next event reads it
  const Progress& now = w.ws->progress();
  if (before.done != now.done || before.hints_shown != now.hints_shown) draw(w);
}

void on_progress_event(uv_fs_event_t* h, const char* filename, int, int status) {
  Watch& w = *static_cast<Watch*>(h->data);
  if (status < 0 || (filename && std::strcmp(filename, kProgressFile) != 0)) return;
  uv_timer_start(&w.progress_debounce, on_progress_debounce, 50, 0);
}

void watch_current(Watch& w) {
  if (w.watching) uv_fs_event_stop(&w.fs_event);
  std::string dir = std::filesystem::path(w.ws->path_of(*w.current)).parent_path().string();
  w.watching = uv_fs_event_start(&w.fs_event, on_fs_event, dir.c_str(), 0) == 0;
}

void set_current(Watch& w, Exercise* ex) {
  w.current = ex;
  w.note.clear();
  std::string err;
  if (!w.ws->set_current(ex->name, &err)) w.note = w.term.red("Your progress could not be saved: " + err) + "\n";
  watch_current(w);
  check_now(w);
}

void quit(Watch& w) {
  if (w.quitting) return;
  w.quitting = true;
  if (w.input == Watch::Input::Tty) restore_terminal();
  std::printf("\n");
  std::fflush(stdout);
  uv_stop(&w.loop);
}

void list_key(Watch& w, int k) {
  size_t n = w.engine->catalog().exercises.size();
  size_t page = static_cast<size_t>(std::max(5, w.term.height - 5)) / 2;
  if (k >= '0' && k <= '9') {
    if (w.number.size() < 4) w.number += static_cast<char>(k);
  } else if (k == 127 || k == 8) {  // Backspace
    if (!w.number.empty()) w.number.pop_back();
  } else if (k == kEnter || k == '\r' || k == '\n') {
    size_t target = w.cursor;
    if (!w.number.empty()) {
      size_t num = std::strtoul(w.number.c_str(), nullptr, 10);
      w.number.clear();
      if (num < 1 || num > n) {
        w.screen = Watch::Screen::Exercise;
        w.note = w.term.yellow("There is no exercise " + std::to_string(num) + " (1 to " + std::to_string(n) + ").") +
                 "\n";
        return draw(w);
      }
      target = num - 1;
    }
    w.screen = Watch::Screen::Exercise;
    Exercise* ex = &w.engine->catalog().exercises[target];
    if (ex != w.current) set_current(w, ex);
  } else if (k == kUp || k == 'k') {
    w.number.clear();
    if (w.cursor > 0) w.cursor--;
  } else if (k == kDown || k == 'j') {
    w.number.clear();
    if (w.cursor + 1 < n) w.cursor++;
  } else if (k == kPageUp || k == 'b') {
    w.cursor = w.cursor > page ? w.cursor - page : 0;
  } else if (k == kPageDown || k == ' ') {
    w.cursor = std::min(n - 1, w.cursor + page);
  } else if (k == kHome || k == 'g') {
    w.cursor = 0;
  } else if (k == kEnd || k == 'G') {
    w.cursor = n - 1;
  } else if (k == kEsc || k == 'q' || k == 'l') {
    if (!w.number.empty() && k == kEsc) {
      w.number.clear();
    } else {
      w.number.clear();
      w.screen = Watch::Screen::Exercise;
    }
  } else {
    return;
  }
  draw(w);
}

void on_key(Watch& w, int k) {
  if (k == 3 || k == 4) return quit(w);  // Ctrl-C, Ctrl-D (raw mode delivers them as keys)
  if (w.screen == Watch::Screen::List) return list_key(w, k);
  if (w.screen == Watch::Screen::ConfirmReset) {
    w.screen = Watch::Screen::Exercise;
    if (k == 'y' || k == 'Y') {
      std::string backup, err;
      if (reset_exercise(*w.ws, *w.current, &backup, &err)) {
        w.ws->update([&](Progress& p) { p.done.erase(w.current->name); }, &err);
        check_now(w);
        w.note = "Reset to the starter file" +
                 (backup.empty() ? "" : "; your version is kept in " + backup.substr(w.ws->root().size() + 1) +
                                            " (`luasync learn restore " + w.current->name + "` brings it back)") +
                 ".\n";
      } else {
        w.note = w.term.red(err) + "\n";
      }
    } else {
      w.note = "Not reset.\n";
    }
    return draw(w);
  }
  switch (k) {
    case 'q':
      return quit(w);
    case 'h':
      w.note = next_hint(w.ws, *w.current, w.term);
      break;
    case 'n': {
      std::string err;
      w.ws->load(&err);  // what other processes recorded counts
      Exercise* next = next_exercise(w.engine->catalog(), w.ws->progress(), w.current);
      if (!next) {
        w.note = w.term.green("Every exercise passes. Well done!") + "\n";
        break;
      }
      set_current(w, next);
      break;
    }
    case 'p': {
      Exercise* prev = previous_exercise(w.engine->catalog(), w.current);
      if (!prev) {
        w.note = "This is the first exercise.\n";
        break;
      }
      set_current(w, prev);
      break;
    }
    case 'l':
      w.screen = Watch::Screen::List;
      w.cursor = index_of(w.engine->catalog(), w.current);
      w.number.clear();
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

// Splits raw terminal input into keys (escape sequences for arrows and
// paging). A sequence cut between two reads waits for the rest; a lone Esc
// at the end of a read is the Esc key.
void feed_keys(Watch& w, const char* data, size_t n) {
  w.pending.append(data, n);
  std::string& s = w.pending;
  size_t i = 0;
  while (i < s.size() && !w.quitting) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c != 0x1b) {
      on_key(w, c == '\r' || c == '\n' ? static_cast<int>(kEnter) : c);
      i++;
      continue;
    }
    if (i + 1 >= s.size()) {  // a lone Esc
      on_key(w, kEsc);
      i++;
      continue;
    }
    char intro = s[i + 1];
    if (intro != '[' && intro != 'O') {
      on_key(w, kEsc);
      i++;
      continue;
    }
    size_t j = i + 2;
    while (j < s.size() && (s[j] < 0x40 || s[j] > 0x7e)) j++;
    if (j >= s.size()) break;  // incomplete: wait for more
    std::string params = s.substr(i + 2, j - i - 2);
    char fin = s[j];
    int key = 0;
    if (fin == 'A') key = kUp;
    else if (fin == 'B') key = kDown;
    else if (fin == 'H') key = kHome;
    else if (fin == 'F') key = kEnd;
    else if (fin == '~' && params == "5") key = kPageUp;
    else if (fin == '~' && params == "6") key = kPageDown;
    else if (fin == '~' && (params == "1" || params == "7")) key = kHome;
    else if (fin == '~' && (params == "4" || params == "8")) key = kEnd;
    if (key) on_key(w, key);
    i = j + 1;
  }
  s.erase(0, i);
}

// Line mode (stdin is not a terminal): one command per line; the first
// character is the key ("n", "next"...); an empty line is Enter; a number
// in the list jumps to it.
void feed_lines(Watch& w, const char* data, size_t n) {
  for (size_t i = 0; i < n && !w.quitting; i++) {
    char c = data[i];
    if (c != '\n') {
      w.line += c;
      continue;
    }
    std::string cmd = w.line;
    w.line.clear();
    while (!cmd.empty() && (cmd.back() == '\r' || cmd.back() == ' ')) cmd.pop_back();
    size_t b = cmd.find_first_not_of(' ');
    cmd = b == std::string::npos ? "" : cmd.substr(b);
    if (cmd.empty()) {
      on_key(w, kEnter);
    } else if (w.screen == Watch::Screen::List && std::isdigit(static_cast<unsigned char>(cmd[0]))) {
      for (char d : cmd) on_key(w, d);
      if (!w.quitting) on_key(w, kEnter);
    } else {
      on_key(w, static_cast<unsigned char>(cmd[0]));
    }
  }
}

void on_input(Watch& w, const char* data, size_t n) {
  if (w.input == Watch::Input::Tty)
    feed_keys(w, data, n);
  else
    feed_lines(w, data, n);
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
  on_input(w, buf->base, static_cast<size_t>(n));
}

// stdin a file or a device (/dev/null): read through libuv's thread pool.
void start_file_read(Watch& w);
void on_file_read(uv_fs_t* req) {
  Watch& w = *static_cast<Watch*>(req->data);
  ssize_t n = req->result;
  uv_fs_req_cleanup(req);
  w.file_reading = false;
  if (n <= 0) {  // end of input, or an error reading it
    quit(w);
    return;
  }
  on_input(w, w.file_buf, static_cast<size_t>(n));
  if (!w.quitting) start_file_read(w);
}
void start_file_read(Watch& w) {
  uv_buf_t b = uv_buf_init(w.file_buf, sizeof w.file_buf);
  w.file_req.data = &w;
  if (uv_fs_read(&w.loop, &w.file_req, 0, &b, 1, -1, on_file_read) == 0) {
    w.file_reading = true;
  } else {
    quit(w);
  }
}

void on_signal(uv_signal_t* h, int sig) {
  Watch& w = *static_cast<Watch*>(h->data);
  if (sig == SIGWINCH) {
    Term t = Term::detect();
    w.term.width = t.width;
    w.term.height = t.height;
    draw(w);
    return;
  }
  quit(w);
}

void close_all(uv_handle_t* h, void*) {
  if (!uv_is_closing(h)) uv_close(h, nullptr);
}

// Sets up reading stdin; false if there is nothing to read from.
bool open_input(Watch& w) {
  uv_handle_type type = uv_guess_handle(0);
  if (type == UV_TTY && uv_tty_init(&w.loop, &w.tty, 0, 1) == 0) {
    if (uv_tty_set_mode(&w.tty, UV_TTY_MODE_RAW) == 0) {
      w.input = Watch::Input::Tty;
      std::atexit(restore_terminal);
      w.tty.data = &w;
      return uv_read_start(reinterpret_cast<uv_stream_t*>(&w.tty), on_alloc, on_read) == 0;
    }
    uv_close(reinterpret_cast<uv_handle_t*>(&w.tty), nullptr);
  }
  if (type == UV_NAMED_PIPE || type == UV_TCP) {
    // A pipe or a socket.
    if (uv_pipe_init(&w.loop, &w.pipe, 0) == 0) {
      if (uv_pipe_open(&w.pipe, 0) == 0) {
        w.input = Watch::Input::Pipe;
        w.pipe.data = &w;
        if (uv_read_start(reinterpret_cast<uv_stream_t*>(&w.pipe), on_alloc, on_read) == 0) return true;
      }
      uv_close(reinterpret_cast<uv_handle_t*>(&w.pipe), nullptr);
    }
  }
  if (type == UV_FILE) {  // a file, or a device such as /dev/null
    w.input = Watch::Input::File;
    start_file_read(w);
    return true;
  }
  w.input = Watch::Input::None;  // stdin is closed
  return false;
}

}  // namespace

int watch_main(Engine& engine, Workspace& ws, Runner& runner, const Term& term, Exercise* start) {
  Watch w;
  w.engine = &engine;
  w.ws = &ws;
  w.runner = &runner;
  w.term = term;
  w.current = start ? start : ws.current(engine.catalog());
  if (!w.current) {
    std::fprintf(stderr, "luasync learn: there are no exercises\n");
    return 1;
  }
  // libuv must not get fds 0-2 for its own use (it asserts when it closes
  // one): a closed stdin, stdout or stderr becomes /dev/null first.
  bool stdin_closed = fcntl(0, F_GETFD) < 0;
  for (int fd = 0; fd <= 2; fd++) {
    if (fcntl(fd, F_GETFD) >= 0) continue;
    int nul = ::open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
    if (nul >= 0 && nul != fd) {
      dup2(nul, fd);
      ::close(nul);
    }
  }
  uv_loop_init(&w.loop);
  uv_fs_event_init(&w.loop, &w.fs_event);
  w.fs_event.data = &w;
  uv_fs_event_init(&w.loop, &w.progress_event);
  w.progress_event.data = &w;
  uv_fs_event_start(&w.progress_event, on_progress_event, ws.root().c_str(), 0);
  uv_timer_init(&w.loop, &w.debounce);
  w.debounce.data = &w;
  uv_timer_init(&w.loop, &w.progress_debounce);
  w.progress_debounce.data = &w;
  int sig[4] = {SIGINT, SIGTERM, SIGHUP, SIGWINCH};
  for (int i = 0; i < 4; i++) {
    uv_signal_init(&w.loop, &w.sigs[i]);
    w.sigs[i].data = &w;
    uv_signal_start(&w.sigs[i], on_signal, sig[i]);
  }
  bool has_input = !stdin_closed && open_input(w);
  if (w.input != Watch::Input::Tty) {
    std::fprintf(stderr,
                 has_input ? "luasync learn: stdin is not a terminal, so watch mode reads one command per line "
                             "(h hint, n next, p previous, l list, c check, r reset, q quit) and stops at the end of "
                             "the input. `luasync learn check` checks once.\n"
                           : "luasync learn: stdin is closed, so watch mode cannot read keys: checking once. "
                             "`luasync learn check` does the same.\n");
  }

  set_current(w, w.current);
  draw(w);
  if (has_input && !w.quitting) uv_run(&w.loop, UV_RUN_DEFAULT);

  if (w.input == Watch::Input::Tty) restore_terminal();
  if (w.file_reading) uv_cancel(reinterpret_cast<uv_req_t*>(&w.file_req));
  uv_walk(&w.loop, close_all, nullptr);
  uv_run(&w.loop, UV_RUN_DEFAULT);
  uv_loop_close(&w.loop);
  return 0;
}

}  // namespace luasync::learn
