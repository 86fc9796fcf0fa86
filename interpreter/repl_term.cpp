// repl_term.cpp: the REPL's terminal, on GNU readline's callback interface.
//
// Readline never blocks here: the driver installs the line handler to show a
// prompt (term_prompt), and calls term_read_key each time the event loop sees
// stdin readable; readline hands back each finished line through the
// LineSink. The handler is removed again as soon as a line is complete, so
// the terminal is in its ordinary mode while an input runs.
//
// Output while a prompt is displayed. The global stdout and stderr FILE*s are
// replaced by stdio streams (fopencookie) whose writes, while the prompt is
// up, are held instead of written. After each loop iteration the driver calls
// term_flush: if complete lines are held, it clears the prompt line
// (rl_clear_visible_line, which also handles a line wrapped over several
// rows), writes them, and redraws the prompt with the typed text and the
// cursor where they were (rl_forced_update_display). A partial line is held
// until its newline comes or the prompt goes down. This covers print,
// io.write, io.stderr and the runtime's own messages ("Task exception was
// never retrieved") alike, and batches a burst of output into one redraw.
// Readline's own output goes to a separate stream on a dup of the terminal.
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "repl.h"

namespace luasync::repl {

namespace {

struct Held {
  int fd;
  std::string data;
};

LineSink* g_sink = nullptr;
bool g_shown = false;        // a prompt is displayed (the line handler is installed)
bool g_in_readline = false;  // readline is running: writes pass straight through
bool g_rl_used = false;      // readline has been initialised (a prompt was shown)
bool g_fd_tty[3] = {false, false, false};
FILE* g_orig_stdout = nullptr;
FILE* g_orig_stderr = nullptr;
FILE* g_rl_out = nullptr;  // readline's output: a dup of the terminal
std::vector<Held> g_held;  // output held while the prompt is displayed, in order
size_t g_held_bytes = 0;
std::string g_history;     // the history file, "" for none
constexpr int kHistoryMax = 1000;

void write_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {  // a non-blocking terminal that is full: wait
        struct pollfd pfd = {fd, POLLOUT, 0};
        ::poll(&pfd, 1, 1000);
        continue;
      }
      return;  // the terminal is gone: drop it, as stdio would
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
}

// Writes everything held, as is (the prompt is not displayed).
void release_held() {
  for (auto& h : g_held) write_all(h.fd, h.data.data(), h.data.size());
  g_held.clear();
  g_held_bytes = 0;
}

ssize_t cookie_write(void* cookie, const char* buf, size_t n) {
  int fd = static_cast<int>(reinterpret_cast<intptr_t>(cookie));
  if (!g_shown || g_in_readline || !g_fd_tty[fd]) {
    if (!g_held.empty() && !g_shown) release_held();
    write_all(fd, buf, n);
    return static_cast<ssize_t>(n);
  }
  if (!g_held.empty() && g_held.back().fd == fd)
    g_held.back().data.append(buf, n);
  else
    g_held.push_back({fd, std::string(buf, n)});
  g_held_bytes += n;
  if (g_held_bytes > (1u << 16)) term_flush();  // a flood: do not hold it all
  return static_cast<ssize_t>(n);
}

FILE* open_stream(int fd, int mode) {
  cookie_io_functions_t io = {nullptr, cookie_write, nullptr, nullptr};
  FILE* f = fopencookie(reinterpret_cast<void*>(static_cast<intptr_t>(fd)), "w", io);
  if (f) setvbuf(f, nullptr, mode, mode == _IONBF ? 0 : BUFSIZ);
  return f;
}

void line_handler(char* line) {
  // Remove the handler first: readline would otherwise show the prompt again.
  rl_callback_handler_remove();
  g_shown = false;
  if (!line) {  // Ctrl-D on an empty line: end the prompt's line
    std::fputs("\n", g_rl_out);
    std::fflush(g_rl_out);
  }
  release_held();
  g_sink->on_line(line);
  std::free(line);
}

}  // namespace

void term_open(LineSink* sink) {
  g_sink = sink;
  for (int fd = 0; fd < 3; fd++) g_fd_tty[fd] = isatty(fd);
  rl_readline_name = "luasync";
  rl_catch_signals = 0;  // the driver owns SIGINT; SIGWINCH comes from the loop
  rl_catch_sigwinch = 0;
  rl_change_environment = 0;
  int out = dup(g_fd_tty[1] || !g_fd_tty[2] ? 1 : 2);
  g_rl_out = out >= 0 ? fdopen(out, "w") : nullptr;
  if (!g_rl_out) g_rl_out = stdout;
  rl_outstream = g_rl_out;
  rl_instream = stdin;
  complete_install();

  using_history();
  stifle_history(kHistoryMax);

  std::fflush(stdout);
  std::fflush(stderr);
  g_orig_stdout = stdout;
  g_orig_stderr = stderr;
  if (FILE* f = open_stream(1, g_fd_tty[1] ? _IOLBF : _IOFBF)) stdout = f;
  if (FILE* f = open_stream(2, _IONBF)) stderr = f;
}

void term_load_history(const char* path) {
  g_history = path ? path : "";
  if (g_history.empty()) return;
  int err = read_history(g_history.c_str());
  if (err == ENOENT) write_history(g_history.c_str());  // create it (0600) for appends
  using_history();  // Up starts from the newest line (the prompt is already up)
}

void term_close() {
  if (g_shown) term_unprompt();
  release_held();
  std::fflush(stdout);
  std::fflush(stderr);
  if (stdout != g_orig_stdout) {
    FILE* f = stdout;
    stdout = g_orig_stdout;
    std::fclose(f);
  }
  if (stderr != g_orig_stderr) {
    FILE* f = stderr;
    stderr = g_orig_stderr;
    std::fclose(f);
  }
  if (!g_history.empty()) history_truncate_file(g_history.c_str(), kHistoryMax);
  clear_history();
  rl_outstream = nullptr;
  if (g_rl_out && g_rl_out != stdout) std::fclose(g_rl_out);
  g_rl_out = nullptr;
  g_sink = nullptr;
}

void term_prompt(const char* prompt) {
  std::fflush(stdout);  // written through: the prompt is not up yet
  std::fflush(stderr);
  release_held();
  g_in_readline = true;
  rl_callback_handler_install(prompt, line_handler);
  g_in_readline = false;
  g_shown = true;
  g_rl_used = true;
}

void term_unprompt() {
  if (!g_shown) return;
  g_in_readline = true;
  rl_callback_handler_remove();
  std::fputs("\n", g_rl_out);
  std::fflush(g_rl_out);
  g_in_readline = false;
  g_shown = false;
  release_held();
}

bool term_prompt_shown() { return g_shown; }

void term_read_key() {
  if (!g_shown) return;
  g_in_readline = true;
  rl_callback_read_char();
  g_in_readline = false;
}

void term_cancel_line() {
  if (!g_shown) return;
  g_in_readline = true;
  rl_callback_sigcleanup();  // leaves an incremental search or a key sequence
  rl_point = rl_end;
  rl_redisplay();
  std::fputs("^C\n", g_rl_out);
  std::fflush(g_rl_out);
  rl_replace_line("", 1);
  rl_callback_handler_remove();
  g_in_readline = false;
  g_shown = false;
  release_held();
}

void term_flush() {
  if (g_held.empty()) return;
  if (!g_shown) {
    release_held();
    return;
  }
  // Keep back the partial last line of each stream.
  std::vector<Held> out, keep;
  for (size_t i = 0; i < g_held.size(); i++) {
    Held& h = g_held[i];
    bool last_of_fd = true;
    for (size_t j = i + 1; j < g_held.size(); j++)
      if (g_held[j].fd == h.fd) last_of_fd = false;
    size_t nl = last_of_fd ? h.data.rfind('\n') : h.data.size() - 1;
    if (nl == std::string::npos) {
      keep.push_back(std::move(h));
      continue;
    }
    out.push_back({h.fd, h.data.substr(0, nl + 1)});
    if (nl + 1 < h.data.size()) keep.push_back({h.fd, h.data.substr(nl + 1)});
  }
  g_held = std::move(keep);
  g_held_bytes = 0;
  for (auto& h : g_held) g_held_bytes += h.data.size();
  if (out.empty()) return;
  g_in_readline = true;
  rl_clear_visible_line();
  std::fflush(g_rl_out);
  for (auto& h : out) write_all(h.fd, h.data.data(), h.data.size());
  if (out.back().data.back() != '\n') write_all(out.back().fd, "\n", 1);
  rl_forced_update_display();
  g_in_readline = false;
}

void term_resized() {
  if (!g_rl_used) return;
  g_in_readline = true;
  if (g_shown)
    rl_resize_terminal();
  else
    rl_reset_screen_size();
  g_in_readline = false;
}

void term_add_history(const char* line) {
  if (!line || !*line) return;
  HIST_ENTRY* last = history_length > 0 ? history_get(history_base + history_length - 1) : nullptr;
  if (last && std::strcmp(last->line, line) == 0) return;
  add_history(line);
  if (!g_history.empty()) append_history(1, g_history.c_str());
}

}  // namespace luasync::repl
