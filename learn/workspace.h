// workspace.h: a learner's workspace (`luasync learn init`): the exercise
// files under exercises/<lesson>/<name>.lua, the lessons' examples under
// examples/<lesson>/, the progress file, and the backups of reset files.
//
// The progress file (.luasync-progress) is a few lines of text:
//   luasync-progress 1
//   current kitchen
//   done kitchen
//   hints spawn 2
// Several luasync processes may use one workspace at once (watch mode in one
// terminal, `learn check` in another, the browser tour): nobody ever writes
// a copy of the progress it read earlier. Every change goes through
// Workspace::update, which takes an advisory lock (flock on
// .luasync-progress.lock), reads the file again, applies the change to what
// it read, and replaces the file atomically (a temporary file in the same
// directory, fsync, rename, fsync of the directory) before it lets go of the
// lock. So two writers never lose each other's records, and a crash or
// Ctrl-C at any moment leaves the old file or the new one, never a mix.
// Lines this version does not know (from a newer luasync) are kept.
//
// Backups: `reset` (and `restore`, before it replaces a file) keeps the
// learner's version as .luasync-backup/<name>/<UTC time>.lua; no backup is
// ever overwritten.
#pragma once

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "catalog.h"

namespace luasync::learn {

inline constexpr const char* kProgressFile = ".luasync-progress";
inline constexpr const char* kProgressLock = ".luasync-progress.lock";
inline constexpr const char* kBackupDir = ".luasync-backup";

struct Progress {
  std::string current;                    // the exercise watch mode shows
  std::set<std::string> done;             // exercises whose checks all passed
  std::map<std::string, int> hints_shown; // how many hints each has seen
  std::vector<std::string> other;         // lines of a newer version, kept as they are

  bool is_done(const std::string& name) const { return done.count(name) > 0; }
  int hints(const std::string& name) const {
    auto it = hints_shown.find(name);
    return it == hints_shown.end() ? 0 : it->second;
  }
};

// The text of a progress file, and back. parse_progress ignores what it
// cannot read (a damaged line costs that line only).
std::string format_progress(const Progress& p);
Progress parse_progress(const std::string& text);

// Replaces `path` with `contents` atomically (see above). False with a
// message on failure; the old file is then untouched.
bool write_file_atomic(const std::string& path, const std::string& contents, std::string* err);
// The whole file; false if it cannot be read.
bool read_file(const std::string& path, std::string* out);

class Workspace {
 public:
  // Finds the workspace containing `start` (the directory itself or a
  // parent with a progress file). False if there is none.
  bool find(const std::string& start);
  const std::string& root() const { return root_; }
  std::string path_of(const Exercise& ex) const { return root_ + "/" + ex.workspace_path(); }
  std::string progress_path() const { return root_ + "/" + kProgressFile; }

  // Reads the progress file into the snapshot progress() returns.
  bool load(std::string* err);
  // The progress as last read or written by this process. It may be stale:
  // never change a copy of it and write it back; use update().
  const Progress& progress() const { return progress_; }

  // The one way to change the progress (see above): under the lock, reads
  // the file, calls change() on what it read, writes the result. The
  // snapshot is then the result. False with a message if the file could
  // not be locked, read or written (the file is then unchanged).
  bool update(const std::function<void(Progress&)>& change, std::string* err);

  // The common changes, each one update().
  bool record_check(const std::string& name, bool passed, std::string* err);
  bool set_current(const std::string& name, std::string* err);

  // The current exercise: the saved one if it exists, else the first not done.
  Exercise* current(Catalog& cat) const;

 private:
  std::string root_;
  Progress progress_;
};

// Makes a workspace in dir: every starter file, the lessons' examples, the
// progress file, a README. Existing files are kept (so init can be re-run to
// add new lessons). False with a message on failure. *created counts the
// exercise files made, *examples the example files.
bool init_workspace(const std::string& dir, Catalog& cat, std::string* err, int* created, int* examples = nullptr);

// A kept version of an exercise file.
struct Backup {
  std::string path;   // absolute
  std::string label;  // "2025-01-31 14:02:07" (UTC), from the file name
};

// Every backup of `ex`, newest first (including the single
// .luasync-backup/<name>.lua of older luasync versions, last).
std::vector<Backup> list_backups(const Workspace& ws, const Exercise& ex);
// Keeps the learner's current file as a new backup; *backup is its path
// (empty when there is no file to keep).
bool backup_exercise(const Workspace& ws, const Exercise& ex, std::string* backup, std::string* err);

// Writes the starter file over the learner's, keeping their version as a
// new backup (*backup: its path, empty if there was no file).
bool reset_exercise(const Workspace& ws, const Exercise& ex, std::string* backup, std::string* err);
// Puts `from` (one of list_backups) back as the learner's file; their
// current file is kept as a new backup first (*backup).
bool restore_exercise(const Workspace& ws, const Exercise& ex, const Backup& from, std::string* backup,
                      std::string* err);

}  // namespace luasync::learn
