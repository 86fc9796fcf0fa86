// workspace.h: a learner's workspace (`luasync learn init`): the exercise
// files under exercises/<lesson>/<name>.lua and the progress file.
//
// The progress file (.luasync-progress) is a few lines of text:
//   luasync-progress 1
//   current kitchen
//   done kitchen
//   hints spawn 2
// It is only ever replaced whole: written to a temporary file in the same
// directory, fsync'ed, renamed over the old one, and the directory fsync'ed,
// so a crash or Ctrl-C at any moment leaves either the old or the new file.
#pragma once

#include <map>
#include <set>
#include <string>

#include "catalog.h"

namespace luasync::learn {

inline constexpr const char* kProgressFile = ".luasync-progress";

struct Progress {
  std::string current;                    // the exercise watch mode shows
  std::set<std::string> done;             // exercises whose checks all passed
  std::map<std::string, int> hints_shown; // how many hints each has seen
};

// Replaces `path` with `contents` atomically (see above). False with a
// message on failure; the old file is then untouched.
bool write_file_atomic(const std::string& path, const std::string& contents, std::string* err);

class Workspace {
 public:
  // Finds the workspace containing `start` (the directory itself or a
  // parent with a progress file). False if there is none.
  bool find(const std::string& start);
  const std::string& root() const { return root_; }
  std::string path_of(const Exercise& ex) const { return root_ + "/" + ex.workspace_path(); }

  bool load(std::string* err);                  // reads the progress file
  bool save(std::string* err) const;            // writes it atomically
  Progress& progress() { return progress_; }

  // The current exercise: the saved one if it exists, else the first not done.
  Exercise* current(Catalog& cat);

 private:
  std::string root_;
  Progress progress_;
};

// Makes a workspace in dir: every starter file, the progress file, a
// README. Existing exercise files are kept (so init can be re-run to add
// new lessons). False with a message on failure.
bool init_workspace(const std::string& dir, Catalog& cat, std::string* err, int* created);

// Writes the starter file over the learner's, keeping a backup of their
// version in .luasync-backup/. Returns the backup path in *backup (empty if
// there was no file).
bool reset_exercise(const Workspace& ws, const Exercise& ex, std::string* backup, std::string* err);

}  // namespace luasync::learn
