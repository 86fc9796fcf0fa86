// workspace.cpp: see workspace.h.
#include "workspace.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <cstring>
#include <filesystem>
#include <sstream>

namespace luasync::learn {

namespace fs = std::filesystem;

static bool write_all_fd(int fd, const std::string& s) {
  const char* p = s.data();
  size_t n = s.size();
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

bool write_file_atomic(const std::string& path, const std::string& contents, std::string* err) {
  fs::path target(path);
  fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::string tmp = (dir / ("." + target.filename().string() + ".tmp-XXXXXX")).string();
  int fd = mkstemp(tmp.data());
  if (fd < 0) {
    *err = "cannot write " + path + ": " + std::strerror(errno);
    return false;
  }
  fchmod(fd, 0644);
  bool ok = write_all_fd(fd, contents) && fsync(fd) == 0;
  int saved = errno;
  ok = (close(fd) == 0) && ok;
  if (!ok || rename(tmp.c_str(), path.c_str()) != 0) {
    if (ok) saved = errno;
    unlink(tmp.c_str());
    *err = "cannot write " + path + ": " + std::strerror(saved);
    return false;
  }
  // The rename itself must reach the disk.
  int dfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    fsync(dfd);
    close(dfd);
  }
  return true;
}

bool read_file(const std::string& path, std::string* out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  out->clear();
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int saved = errno;
      ::close(fd);
      errno = saved;
      return false;
    }
    if (n == 0) break;
    out->append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return true;
}

std::string format_progress(const Progress& p) {
  std::string s = "luasync-progress 1\n";
  if (!p.current.empty()) s += "current " + p.current + "\n";
  for (const auto& d : p.done) s += "done " + d + "\n";
  for (const auto& [name, n] : p.hints_shown) s += "hints " + name + " " + std::to_string(n) + "\n";
  for (const auto& line : p.other) s += line + "\n";
  return s;
}

Progress parse_progress(const std::string& text) {
  Progress p;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string key, name;
    ls >> key >> name;
    if (key == "current") {
      p.current = name;
    } else if (key == "done") {
      if (!name.empty()) p.done.insert(name);
    } else if (key == "hints") {
      int n = 0;
      ls >> n;
      if (n > 0 && !name.empty()) p.hints_shown[name] = n;
    } else if (key != "luasync-progress" && !key.empty()) {
      p.other.push_back(line);  // a newer version's line: kept
    }
  }
  return p;
}

bool Workspace::find(const std::string& start) {
  std::error_code ec;
  fs::path p = fs::absolute(start, ec);
  if (ec) return false;
  p = p.lexically_normal();
  if (p.has_filename() == false && p.has_parent_path()) p = p.parent_path();
  for (;;) {
    if (fs::exists(p / kProgressFile, ec)) {
      root_ = p.string();
      return true;
    }
    if (!p.has_parent_path() || p.parent_path() == p) return false;
    p = p.parent_path();
  }
}

bool Workspace::load(std::string* err) {
  std::string text;
  if (!read_file(progress_path(), &text)) {
    *err = "cannot read " + progress_path() + ": " + std::strerror(errno);
    return false;
  }
  progress_ = parse_progress(text);
  return true;
}

namespace {

// Holds the workspace's advisory lock (flock on the lock file) while alive.
// The lock file is never replaced, unlike the progress file, whose inode
// changes with every rename.
class ProgressLock {
 public:
  explicit ProgressLock(const std::string& root) {
    std::string path = root + "/" + kProgressLock;
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) {
      error_ = "cannot open " + path + ": " + std::strerror(errno);
      return;
    }
    // Writers hold it for a few milliseconds; ten seconds means something
    // is wrong (a stopped process holding it), and we say so.
    for (int waited = 0;; waited++) {
      if (flock(fd_, LOCK_EX | LOCK_NB) == 0) {
        locked_ = true;
        return;
      }
      if (errno != EWOULDBLOCK && errno != EINTR) break;
      if (waited >= 1000) {
        errno = EWOULDBLOCK;
        break;
      }
      usleep(10000);
    }
    error_ = "cannot lock " + path + " (is another luasync stopped while saving progress?): " +
             std::strerror(errno);
  }
  ~ProgressLock() {
    if (fd_ >= 0) ::close(fd_);  // releases the lock
  }
  ProgressLock(const ProgressLock&) = delete;
  ProgressLock& operator=(const ProgressLock&) = delete;
  bool locked() const { return locked_; }
  const std::string& error() const { return error_; }

 private:
  int fd_ = -1;
  bool locked_ = false;
  std::string error_;
};

}  // namespace

bool Workspace::update(const std::function<void(Progress&)>& change, std::string* err) {
  ProgressLock lock(root_);
  if (!lock.locked()) {
    *err = lock.error();
    return false;
  }
  std::string text;
  Progress p;
  if (read_file(progress_path(), &text)) {
    p = parse_progress(text);
  } else if (errno != ENOENT) {
    *err = "cannot read " + progress_path() + ": " + std::strerror(errno);
    return false;
  }
  change(p);
  std::string out = format_progress(p);
  if (out != text && !write_file_atomic(progress_path(), out, err)) return false;
  progress_ = std::move(p);
  return true;
}

bool Workspace::record_check(const std::string& name, bool passed, std::string* err) {
  return update(
      [&](Progress& p) {
        if (passed)
          p.done.insert(name);
        else
          p.done.erase(name);
      },
      err);
}

bool Workspace::set_current(const std::string& name, std::string* err) {
  return update([&](Progress& p) { p.current = name; }, err);
}

Exercise* Workspace::current(Catalog& cat) const {
  if (Exercise* e = cat.find_exercise(progress_.current)) return e;
  for (auto& e : cat.exercises)
    if (!progress_.done.count(e.name)) return &e;
  return cat.exercises.empty() ? nullptr : &cat.exercises.back();
}

static const char* kReadme =
    "# Learning async with luasync\n"
    "\n"
    "Each file under exercises/ is an exercise: read the lesson, edit the file\n"
    "where it says `TODO`, and let luasync check it. The programs the lessons\n"
    "show are under examples/: run one with\n"
    "`luasync --virtual-time examples/01-why-async/one_after_another.lua`.\n"
    "\n"
    "    luasync learn              watch mode: checks the current exercise each time\n"
    "                               you save it (h hint, n next, p previous, l list,\n"
    "                               r reset, q quit)\n"
    "    luasync learn list         every lesson and exercise, with your progress\n"
    "    luasync learn show N       read lesson N (0 is the Lua the lessons assume;\n"
    "                               `show python`: coming from Python)\n"
    "    luasync learn check NAME   check one exercise (--all: every one)\n"
    "    luasync learn run NAME     run it and see what it prints, returns, and when\n"
    "    luasync learn hint NAME    one more hint\n"
    "    luasync learn reset NAME   start an exercise over (every earlier version\n"
    "                               is kept in .luasync-backup/)\n"
    "    luasync learn restore NAME bring back a version that reset kept\n"
    "\n"
    "Your progress is in .luasync-progress.\n";

// Writes `contents` to `p` (making its directory) unless it exists.
static bool write_new(const fs::path& p, const std::string& contents, bool* made, std::string* err) {
  std::error_code ec;
  *made = false;
  if (fs::exists(p, ec)) return true;  // keep the learner's file
  fs::create_directories(p.parent_path(), ec);
  if (ec) {
    *err = "cannot create " + p.parent_path().string() + ": " + ec.message();
    return false;
  }
  if (!write_file_atomic(p.string(), contents, err)) return false;
  *made = true;
  return true;
}

bool init_workspace(const std::string& dir, Catalog& cat, std::string* err, int* created, int* examples) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    *err = "cannot create " + dir + ": " + ec.message();
    return false;
  }
  *created = 0;
  if (examples) *examples = 0;
  bool made = false;
  for (const auto& ex : cat.exercises) {
    if (!ex.has_starter) continue;
    if (!write_new(fs::path(dir) / ex.workspace_path(), ex.starter, &made, err)) return false;
    if (made) (*created)++;
  }
  // The examples the lesson texts run: examples/<lesson>/<name>.lua.
  for (const auto& l : cat.lessons) {
    for (const auto& e : l.examples) {
      if (!write_new(fs::path(dir) / "examples" / l.dir / (e.name + ".lua"), e.code, &made, err)) return false;
      if (made && examples) (*examples)++;
    }
  }
  if (!write_new(fs::path(dir) / "README.md", kReadme, &made, err)) return false;
  // A fresh progress file: current is the first exercise.
  std::string first = cat.exercises.empty() ? "" : cat.exercises.front().name;
  return write_new(fs::path(dir) / kProgressFile, "luasync-progress 1\ncurrent " + first + "\n", &made, err);
}

// ---------------------------------------------------------------- backups

static fs::path backup_dir(const Workspace& ws, const Exercise& ex) {
  return fs::path(ws.root()) / kBackupDir / ex.name;
}

std::vector<Backup> list_backups(const Workspace& ws, const Exercise& ex) {
  std::vector<Backup> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(backup_dir(ws, ex), ec)) {
    std::string name = entry.path().filename().string();
    // 20250131-140207.lua, or 20250131-140207-2.lua for a second one that second.
    if (name.size() < 19 || name.compare(name.size() - 4, 4, ".lua") != 0 || name[8] != '-') continue;
    std::string label = name.substr(0, 4) + "-" + name.substr(4, 2) + "-" + name.substr(6, 2) + " " +
                        name.substr(9, 2) + ":" + name.substr(11, 2) + ":" + name.substr(13, 2);
    if (name.size() > 19) label += " (" + name.substr(16, name.size() - 20) + ")";
    out.push_back({entry.path().string(), label});
  }
  // The names sort by time; the counter after the seconds sorts numerically.
  auto key = [](const Backup& b) {
    std::string n = fs::path(b.path).filename().string();
    std::string stamp = n.substr(0, 15);
    long count = n.size() > 19 ? std::strtol(n.c_str() + 16, nullptr, 10) : 1;
    return std::make_pair(stamp, count);
  };
  std::sort(out.begin(), out.end(), [&](const Backup& a, const Backup& b) { return key(a) > key(b); });
  fs::path legacy = fs::path(ws.root()) / kBackupDir / (ex.name + ".lua");
  if (fs::is_regular_file(legacy, ec)) out.push_back({legacy.string(), "older backup"});
  return out;
}

bool backup_exercise(const Workspace& ws, const Exercise& ex, std::string* backup, std::string* err) {
  backup->clear();
  std::string text;
  if (!read_file(ws.path_of(ex), &text)) {
    if (errno == ENOENT) return true;
    *err = "cannot read " + ws.path_of(ex) + ": " + std::strerror(errno);
    return false;
  }
  if (text == ex.starter) return true;  // nothing of the learner's in it
  fs::path dir = backup_dir(ws, ex);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    *err = "cannot create " + dir.string() + ": " + ec.message();
    return false;
  }
  char stamp[32];
  time_t now = time(nullptr);
  struct tm tm;
  gmtime_r(&now, &tm);
  strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
  // A new name every time: O_EXCL, with a counter for the same second.
  for (int n = 1; n < 10000; n++) {
    std::string name = std::string(stamp) + (n == 1 ? "" : "-" + std::to_string(n)) + ".lua";
    fs::path p = dir / name;
    int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
      if (errno == EEXIST) continue;
      *err = "cannot write " + p.string() + ": " + std::strerror(errno);
      return false;
    }
    bool ok = write_all_fd(fd, text) && fsync(fd) == 0;
    int saved = errno;
    ok = ::close(fd) == 0 && ok;
    if (!ok) {
      ::unlink(p.c_str());
      *err = "cannot write " + p.string() + ": " + std::strerror(saved);
      return false;
    }
    *backup = p.string();
    return true;
  }
  *err = "too many backups of " + ex.name + " in one second";
  return false;
}

bool reset_exercise(const Workspace& ws, const Exercise& ex, std::string* backup, std::string* err) {
  if (!backup_exercise(ws, ex, backup, err)) return false;
  std::error_code ec;
  fs::create_directories(fs::path(ws.path_of(ex)).parent_path(), ec);
  return write_file_atomic(ws.path_of(ex), ex.starter, err);
}

bool restore_exercise(const Workspace& ws, const Exercise& ex, const Backup& from, std::string* backup,
                      std::string* err) {
  std::string text;
  if (!read_file(from.path, &text)) {
    *err = "cannot read " + from.path + ": " + std::strerror(errno);
    return false;
  }
  if (!backup_exercise(ws, ex, backup, err)) return false;
  std::error_code ec;
  fs::create_directories(fs::path(ws.path_of(ex)).parent_path(), ec);
  return write_file_atomic(ws.path_of(ex), text, err);
}

}  // namespace luasync::learn
