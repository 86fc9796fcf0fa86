// workspace.cpp: see workspace.h.
#include "workspace.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
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

bool Workspace::find(const std::string& start) {
  std::error_code ec;
  fs::path p = fs::absolute(start, ec);
  if (ec) return false;
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
  progress_ = Progress();
  std::ifstream in(root_ + "/" + kProgressFile);
  if (!in) {
    *err = "cannot read " + root_ + "/" + kProgressFile + ": " + std::strerror(errno);
    return false;
  }
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string key, name;
    ls >> key >> name;
    if (key == "current") {
      progress_.current = name;
    } else if (key == "done") {
      progress_.done.insert(name);
    } else if (key == "hints") {
      int n = 0;
      ls >> n;
      if (n > 0) progress_.hints_shown[name] = n;
    }
    // Anything else (the header, lines from newer versions) is ignored.
  }
  return true;
}

bool Workspace::save(std::string* err) const {
  std::string s = "luasync-progress 1\n";
  if (!progress_.current.empty()) s += "current " + progress_.current + "\n";
  for (const auto& d : progress_.done) s += "done " + d + "\n";
  for (const auto& [name, n] : progress_.hints_shown) s += "hints " + name + " " + std::to_string(n) + "\n";
  return write_file_atomic(root_ + "/" + kProgressFile, s, err);
}

Exercise* Workspace::current(Catalog& cat) {
  if (Exercise* e = cat.find_exercise(progress_.current)) return e;
  for (auto& e : cat.exercises)
    if (!progress_.done.count(e.name)) return &e;
  return cat.exercises.empty() ? nullptr : &cat.exercises.back();
}

static const char* kReadme =
    "# Learning async with luasync\n"
    "\n"
    "Each file under exercises/ is an exercise: read the lesson, edit the file\n"
    "where it says `TODO`, and let luasync check it.\n"
    "\n"
    "    luasync learn              watch mode: checks the current exercise each time\n"
    "                               you save it (h hint, n next, l list, r reset, q quit)\n"
    "    luasync learn list         every lesson and exercise, with your progress\n"
    "    luasync learn show 1       read lesson 1\n"
    "    luasync learn check NAME   check one exercise (--all: every one)\n"
    "    luasync learn run NAME     run it and see what it prints and returns\n"
    "    luasync learn hint NAME    one more hint\n"
    "    luasync learn reset NAME   start an exercise over (your version is kept\n"
    "                               in .luasync-backup/)\n"
    "\n"
    "Your progress is in .luasync-progress.\n";

bool init_workspace(const std::string& dir, Catalog& cat, std::string* err, int* created) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    *err = "cannot create " + dir + ": " + ec.message();
    return false;
  }
  *created = 0;
  for (const auto& ex : cat.exercises) {
    if (!ex.has_starter) continue;
    fs::path p = fs::path(dir) / ex.workspace_path();
    if (fs::exists(p, ec)) continue;  // keep the learner's work
    fs::create_directories(p.parent_path(), ec);
    if (ec || !write_file_atomic(p.string(), ex.starter, err)) {
      if (ec) *err = "cannot create " + p.parent_path().string() + ": " + ec.message();
      return false;
    }
    (*created)++;
  }
  fs::path readme = fs::path(dir) / "README.md";
  if (!fs::exists(readme, ec) && !write_file_atomic(readme.string(), kReadme, err)) return false;
  fs::path prog = fs::path(dir) / kProgressFile;
  if (!fs::exists(prog, ec)) {
    // A fresh progress file: current is the first exercise.
    std::string first = cat.exercises.empty() ? "" : cat.exercises.front().name;
    if (!write_file_atomic(prog.string(), "luasync-progress 1\ncurrent " + first + "\n", err)) return false;
  }
  return true;
}

bool reset_exercise(const Workspace& ws, const Exercise& ex, std::string* backup, std::string* err) {
  std::error_code ec;
  std::string path = ws.path_of(ex);
  backup->clear();
  if (fs::exists(path, ec)) {
    fs::path b = fs::path(ws.root()) / ".luasync-backup" / (ex.name + ".lua");
    fs::create_directories(b.parent_path(), ec);
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    if (!ec && write_file_atomic(b.string(), ss.str(), err)) *backup = b.string();
  } else {
    fs::create_directories(fs::path(path).parent_path(), ec);
  }
  return write_file_atomic(path, ex.starter, err);
}

}  // namespace luasync::learn
