// fs.cpp: see fs.h.
#include "fs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <uv.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "future.h"
#include "io.h"
#include "options.h"
#include "scope.h"
#include "trampoline.h"

namespace luasync {

namespace {
enum : uint32_t { EV_DONE = 1 };
constexpr size_t kChunk = 64 * 1024;
constexpr size_t kMaxIo = 1u << 30;  // bytes per request (uv_buf_t holds an unsigned)
unsigned g_umask = 022;              // the process umask, read when the module opens

const char* stat_type(uint64_t mode) {
  switch (mode & S_IFMT) {
    case S_IFREG: return "file";
    case S_IFDIR: return "directory";
    case S_IFLNK: return "link";
    case S_IFIFO: return "fifo";
    case S_IFSOCK: return "socket";
    case S_IFCHR: return "char";
    case S_IFBLK: return "block";
    default: return "unknown";
  }
}

const char* dirent_type(uv_dirent_type_t t) {
  switch (t) {
    case UV_DIRENT_FILE: return "file";
    case UV_DIRENT_DIR: return "directory";
    case UV_DIRENT_LINK: return "link";
    case UV_DIRENT_FIFO: return "fifo";
    case UV_DIRENT_SOCKET: return "socket";
    case UV_DIRENT_CHAR: return "char";
    case UV_DIRENT_BLOCK: return "block";
    default: return "unknown";
  }
}

double seconds(const uv_timespec_t& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9; }

void push_stat(lua_State* L, const uv_stat_t& st) {
  lua_createtable(L, 0, 11);
  lua_pushstring(L, stat_type(st.st_mode));
  lua_setfield(L, -2, "type");
  lua_pushinteger(L, static_cast<lua_Integer>(st.st_size));
  lua_setfield(L, -2, "size");
  lua_pushinteger(L, static_cast<lua_Integer>(st.st_mode & 07777));
  lua_setfield(L, -2, "mode");
  lua_pushnumber(L, seconds(st.st_mtim));
  lua_setfield(L, -2, "mtime");
  lua_pushnumber(L, seconds(st.st_atim));
  lua_setfield(L, -2, "atime");
  lua_pushnumber(L, seconds(st.st_ctim));
  lua_setfield(L, -2, "ctime");
  lua_pushinteger(L, static_cast<lua_Integer>(st.st_ino));
  lua_setfield(L, -2, "ino");
  lua_pushinteger(L, static_cast<lua_Integer>(st.st_dev));
  lua_setfield(L, -2, "dev");
  lua_pushinteger(L, static_cast<lua_Integer>(st.st_nlink));
  lua_setfield(L, -2, "nlink");
  lua_pushinteger(L, static_cast<lua_Integer>(st.st_uid));
  lua_setfield(L, -2, "uid");
  lua_pushinteger(L, static_cast<lua_Integer>(st.st_gid));
  lua_setfield(L, -2, "gid");
}

// Closes fd at once (on the loop thread; used on cleanup paths only).
void close_sync(uv_loop_t* loop, uv_file fd) {
  uv_fs_t req;
  uv_fs_close(loop, &req, fd, nullptr);
  uv_fs_req_cleanup(&req);
}

void unlink_sync(uv_loop_t* loop, const std::string& path) {
  uv_fs_t req;
  uv_fs_unlink(loop, &req, path.c_str(), nullptr);
  uv_fs_req_cleanup(&req);
}
}  // namespace

// ================================================================ File

// Lua userdata of a File.
struct FileBox {
  class File* f;
};

class File final : public IoObject {
 public:
  enum class Fmt : uint8_t { Count, All, Line, LineKeep };

  File(Loop* loop, uv_file fd, std::string path, bool append)
      : IoObject(loop), uvl_(loop->uv()), fd_(fd), path_(std::move(path)), append_(append) {
    req_.data = this;
  }

  void push_box(lua_State* L) {
    auto* box = static_cast<FileBox*>(lua_newuserdatauv(L, sizeof(FileBox), 0));
    box->f = this;
    luaL_setmetatable(L, kFileMT);
    hold();
  }

  bool closing() const { return closing_ || !loop(); }
  const std::string& path() const { return path_; }

  void push_read(lua_State* L, Fmt fmt, size_t n) { push_op(L, Op::Read, fmt, n, nullptr, 0); }
  void push_write(lua_State* L, const char* p, size_t n) { push_op(L, Op::Write, Fmt::Count, 0, p, n); }
  void push_close(lua_State* L) {
    push_op(L, Op::Close, Fmt::Count, 0, nullptr, 0);
    closing_ = true;
  }

  // __close and __gc: close once the operations asked for so far are done
  // (at once when there are none).
  void close_when_idle(lua_State* L) {
    if (closing_) return;
    closing_ = true;
    ops_.push_back(Op{Op::Close, Fmt::Count, 0, {}, LuaRef(), nullptr});
    pump(L);
  }

 protected:
  void on_events(lua_State* L, uint32_t) override { pump(L); }

  void loop_closing(lua_State*) override {
    closing_ = true;
    ops_.clear();
    if (!busy_ && fd_ >= 0) {
      close_sync(uvl_, fd_);
      fd_ = -1;
    }  // else io_cb closes it
  }

 private:
  struct Op {
    enum Kind : uint8_t { Read, Write, Close } kind;
    Fmt fmt;
    size_t n;
    std::string data;  // Write
    LuaRef fut;        // none for the Close of __close/__gc
    Future* future;
  };

  size_t avail() const { return rbuf_.size() - rpos_; }

  void push_op(lua_State* L, Op::Kind kind, Fmt fmt, size_t n, const char* p, size_t len) {
    Future* f = push_new_future(L);
    future_set_label(L, -1, "file");  // named in timelines
    Op op{kind, fmt, n, {}, io_ref(L, -1), f};
    if (p) op.data.assign(p, len);
    ops_.push_back(std::move(op));
    pump(L);
  }

  // Can the read at the front complete from the buffer (or at EOF)?
  bool read_ready(const Op& op) {
    if (eof_ || err_) return true;
    switch (op.fmt) {
      case Fmt::Count: return avail() >= op.n;
      case Fmt::All: return false;
      default: return std::memchr(rbuf_.data() + rpos_, '\n', avail()) != nullptr;
    }
  }

  // Pushes the result of the ready read op, or returns false and pushes
  // the error when it fails.
  bool take_read(lua_State* L, const Op& op) {
    size_t n = 0;
    bool keep_nl = true;  // false: drop the line's "\n" ("l")
    switch (op.fmt) {
      case Fmt::Count:
        n = std::min(op.n, avail());
        break;
      case Fmt::All:
        n = avail();
        break;
      case Fmt::Line:
      case Fmt::LineKeep: {
        auto* nl = static_cast<const char*>(std::memchr(rbuf_.data() + rpos_, '\n', avail()));
        n = nl ? static_cast<size_t>(nl - (rbuf_.data() + rpos_)) + 1 : avail();
        keep_nl = op.fmt == Fmt::LineKeep || !nl;  // a last line without "\n" is kept whole
        break;
      }
    }
    if (n == 0 && err_) {
      push_os_error(L, err_, path_.c_str());
      return false;
    }
    if (n == 0 && op.fmt != Fmt::All && !(op.fmt == Fmt::Count && op.n == 0)) {
      lua_pushnil(L);  // EOF, as Lua's io
      return true;
    }
    lua_pushlstring(L, rbuf_.data() + rpos_, keep_nl ? n : n - 1);
    rpos_ += n;
    pos_ += static_cast<int64_t>(n);
    if (rpos_ == rbuf_.size()) {
      rbuf_.clear();
      rpos_ = 0;
    }
    return true;
  }

  // Completes what can be completed, in order, and starts the request the
  // front operation needs. Lua context.
  void pump(lua_State* L) {
    while (!busy_ && !ops_.empty()) {
      Op& op = ops_.front();
      if (op.kind != Op::Close && op.future && op.future->done()) {
        ops_.pop_front();  // cancelled: a read leaves its data buffered
        done_ = 0;
        continue;
      }
      switch (op.kind) {
        case Op::Read:
          if (!read_ready(op)) return start_read(op);
          op.fut.push(L);
          if (take_read(L, op))
            resolve_top(L, -2, 1);
          else
            reject_top(L, -2);
          lua_pop(L, 1);
          break;
        case Op::Write:
          if (done_ == 0 && !op.data.empty()) return start_write(op);
          op.fut.push(L);
          if (err_) {
            push_os_error(L, err_, path_.c_str());
            err_ = 0;  // reported
            reject_top(L, -2);
          } else {
            resolve_top(L, -1, 0);
          }
          lua_pop(L, 1);
          break;
        case Op::Close:
          if (fd_ >= 0) {
            if (!op.fut) {
              close_sync(uvl_, fd_);
              fd_ = -1;
            } else if (!close_started_) {
              close_started_ = true;
              busy_ = true;
              hold_uv();
              int r = uv_fs_close(uvl_, &req_, fd_, io_cb);
              fd_ = -1;
              if (r < 0) io_cb_result(r);
              return;
            }
          }
          if (op.fut && !op.future->done()) {
            op.fut.push(L);
            resolve_top(L, -1, 0);
            lua_pop(L, 1);
          }
          break;
      }
      ops_.pop_front();
      done_ = 0;
    }
  }

  void start_read(const Op& op) {
    size_t want = kChunk;
    if (op.fmt == Fmt::Count && op.n > avail()) want = std::max(want, std::min(op.n - avail(), kMaxIo));
    if (rpos_ > 0 && rpos_ * 2 >= rbuf_.size()) {
      rbuf_.erase(0, rpos_);
      rpos_ = 0;
    }
    int64_t offset = pos_ + static_cast<int64_t>(avail());  // just after the read-ahead
    read_base_ = rbuf_.size();
    rbuf_.resize(read_base_ + want);
    busy_ = true;
    hold_uv();
    uv_buf_t b = uv_buf_init(rbuf_.data() + read_base_, static_cast<unsigned>(want));
    int r = uv_fs_read(uvl_, &req_, fd_, &b, 1, offset, io_cb);
    if (r < 0) io_cb_result(r);
  }

  void start_write(Op& op) {
    // A write discards the read-ahead: the file position is pos_.
    rbuf_.clear();
    rpos_ = 0;
    eof_ = false;
    writing_ = true;
    busy_ = true;
    hold_uv();
    size_t n = std::min(op.data.size() - done_, kMaxIo);
    uv_buf_t b = uv_buf_init(op.data.data() + done_, static_cast<unsigned>(n));
    int r = uv_fs_write(uvl_, &req_, fd_, &b, 1, append_ ? -1 : pos_, io_cb);
    if (r < 0) io_cb_result(r);
  }

  static void io_cb(uv_fs_t* req) {
    auto* self = static_cast<File*>(req->data);
    auto r = static_cast<ssize_t>(req->result);
    uv_fs_req_cleanup(req);
    self->io_cb_result(r);
  }

  // The request in flight is done (libuv callback, or a failed submission).
  void io_cb_result(ssize_t r) {
    busy_ = false;
    bool was_write = writing_;
    writing_ = false;
    if (!ops_.empty() && ops_.front().kind == Op::Read) {
      rbuf_.resize(read_base_ + static_cast<size_t>(r > 0 ? r : 0));
      if (r == 0) eof_ = true;
      if (r < 0) err_ = static_cast<int>(r);
    } else if (was_write && !ops_.empty()) {
      Op& op = ops_.front();
      if (r < 0) {
        err_ = static_cast<int>(r);
        done_ = op.data.size();
      } else {
        done_ += static_cast<size_t>(r);
        pos_ += r;
        if (done_ < op.data.size() && loop() && !(op.future && op.future->done())) {
          start_write(op);  // the rest, still without Lua
          release_uv();
          return;
        }
        done_ = std::max<size_t>(done_, 1);  // marks the write as finished
      }
    }
    if (!loop() && fd_ >= 0) {  // the loop closed under the request
      close_sync(uvl_, fd_);
      fd_ = -1;
    }
    post(EV_DONE);
    release_uv();  // last: may free this
  }

  uv_loop_t* uvl_;
  uv_fs_t req_;
  uv_file fd_;
  std::string path_;
  bool append_;
  bool closing_ = false;
  bool busy_ = false;     // a request is in flight (it uses rbuf_ or the op's data)
  bool writing_ = false;  // ... and it is a write
  bool close_started_ = false;
  bool eof_ = false;
  int err_ = 0;
  int64_t pos_ = 0;  // the file offset of rbuf_[rpos_]
  std::string rbuf_;
  size_t rpos_ = 0;
  size_t read_base_ = 0;  // where the read in flight writes into rbuf_
  size_t done_ = 0;       // bytes of the front write done (0: not started)
  std::deque<Op> ops_;
};

// ================================================================ FsOp

// One fs.* call: a chain of libuv requests completing one future.
class FsOp final : public IoObject {
 public:
  enum class Kind : uint8_t { ReadFile, WriteFile, Stat, Lstat, Scandir, Mkdir, Rmdir, Unlink, Rename, Open };

  FsOp(Loop* loop, Kind kind, std::string path) : IoObject(loop), uvl_(loop->uv()), kind_(kind), path_(std::move(path)) {
    req_.data = this;
  }

  std::string path2;  // Rename: the new name
  std::string data;   // WriteFile
  bool atomic = false;
  int mode = 0;   // Mkdir
  int flags = 0;  // Open
  bool append = false;

  // Pushes the future and starts the first request.
  void start(lua_State* L) {
    push_new_future(L);
    future_set_label(L, -1, "open");  // named in timelines
    fut_ = io_ref(L, -1);
    future_ = to_future(L, -1);
    hold_uv();  // until finish()
    switch (kind_) {
      case Kind::ReadFile:
        state_ = S_OPEN;
        return submit(uv_fs_open(uvl_, &req_, path_.c_str(), O_RDONLY, 0, cb));
      case Kind::WriteFile:
        if (atomic) {
          state_ = S_STAT_TARGET;
          return submit(uv_fs_stat(uvl_, &req_, path_.c_str(), cb));
        }
        state_ = S_OPEN;
        return submit(uv_fs_open(uvl_, &req_, path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0666, cb));
      case Kind::Stat:
        return submit(uv_fs_stat(uvl_, &req_, path_.c_str(), cb));
      case Kind::Lstat:
        return submit(uv_fs_lstat(uvl_, &req_, path_.c_str(), cb));
      case Kind::Scandir:
        return submit(uv_fs_scandir(uvl_, &req_, path_.c_str(), 0, cb));
      case Kind::Mkdir:
        return submit(uv_fs_mkdir(uvl_, &req_, path_.c_str(), mode, cb));
      case Kind::Rmdir:
        return submit(uv_fs_rmdir(uvl_, &req_, path_.c_str(), cb));
      case Kind::Unlink:
        return submit(uv_fs_unlink(uvl_, &req_, path_.c_str(), cb));
      case Kind::Rename:
        return submit(uv_fs_rename(uvl_, &req_, path_.c_str(), path2.c_str(), cb));
      case Kind::Open:
        state_ = S_OPEN;
        return submit(uv_fs_open(uvl_, &req_, path_.c_str(), flags, 0666, cb));
    }
  }

 protected:
  void on_events(lua_State* L, uint32_t) override {
    if (!take_pending(L, fut_)) {
      if (kind_ == Kind::Open && fd_ >= 0) close_sync(uvl_, fd_);  // nobody wants it
      fd_ = -1;
      return;
    }
    if (err_) {
      std::string what = kind_ == Kind::Rename ? path_ + " -> " + path2 : path_;
      push_os_error(L, err_, what.c_str());
      return reject_top(L, -2);
    }
    switch (kind_) {
      case Kind::ReadFile:
        lua_pushlstring(L, data.data(), offset_);
        return resolve_top(L, -2, 1);
      case Kind::Stat:
      case Kind::Lstat:
        push_stat(L, st_);
        return resolve_top(L, -2, 1);
      case Kind::Scandir: {
        lua_createtable(L, static_cast<int>(entries_.size()), 0);
        lua_Integer i = 0;
        for (auto& [name, type] : entries_) {
          lua_createtable(L, 0, 2);
          lua_pushlstring(L, name.data(), name.size());
          lua_setfield(L, -2, "name");
          lua_pushstring(L, type);
          lua_setfield(L, -2, "type");
          lua_rawseti(L, -2, ++i);
        }
        return resolve_top(L, -2, 1);
      }
      case Kind::Open: {
        auto* f = new File(loop(), fd_, path_, append);
        fd_ = -1;
        f->push_box(L);
        return resolve_top(L, -2, 1);
      }
      default:
        return resolve_top(L, -1, 0);
    }
  }

  void loop_closing(lua_State*) override {
    fut_.reset();
    future_ = nullptr;  // the request in flight ends the chain (see step)
  }

 private:
  enum State : uint8_t {
    S_SINGLE,
    S_OPEN,
    S_FSTAT,
    S_READ,
    S_STAT_TARGET,
    S_MKSTEMP,
    S_FCHMOD,
    S_WRITE,
    S_FSYNC,
    S_CLOSE,
    S_RENAME,
  };

  bool cancelled() const { return !future_ || future_->done(); }

  // A request was submitted (r = 0) or could not be (r < 0).
  void submit(int r) {
    if (r < 0) {
      uv_fs_req_cleanup(&req_);
      step(r);
    }
  }

  static void cb(uv_fs_t* req) {
    auto* self = static_cast<FsOp*>(req->data);
    auto r = static_cast<ssize_t>(req->result);
    if (r >= 0) {
      if (req->fs_type == UV_FS_STAT || req->fs_type == UV_FS_LSTAT || req->fs_type == UV_FS_FSTAT)
        self->st_ = req->statbuf;
      if (req->fs_type == UV_FS_SCANDIR) {
        uv_dirent_t ent;
        while (uv_fs_scandir_next(req, &ent) != UV_EOF) self->entries_.emplace_back(ent.name, dirent_type(ent.type));
      }
      if (req->fs_type == UV_FS_MKSTEMP) self->tmp_ = req->path;
    }
    uv_fs_req_cleanup(req);
    self->step(r);
  }

  // Ends the chain: releases what it holds open, completes from the ready queue.
  void finish(int err) {
    if (fd_ >= 0 && (err || kind_ != Kind::Open)) {
      close_sync(uvl_, fd_);
      fd_ = -1;
    }
    if (!tmp_.empty()) unlink_sync(uvl_, tmp_);  // a failed or cancelled atomic write
    err_ = err;
    post(EV_DONE);
    release_uv();  // last: may free this
  }

  void write_next() {
    size_t n = std::min(data.size() - offset_, kMaxIo);
    uv_buf_t b = uv_buf_init(data.data() + offset_, static_cast<unsigned>(n));
    submit(uv_fs_write(uvl_, &req_, fd_, &b, 1, static_cast<int64_t>(offset_), cb));
  }

  void read_next() {
    if (offset_ == data.size()) data.resize(data.size() * 2);
    size_t n = std::min(data.size() - offset_, kMaxIo);
    uv_buf_t b = uv_buf_init(data.data() + offset_, static_cast<unsigned>(n));
    submit(uv_fs_read(uvl_, &req_, fd_, &b, 1, static_cast<int64_t>(offset_), cb));
  }

  // The temp file of an atomic write: "dir/.name.XXXXXX".
  std::string temp_template() const {
    auto slash = path_.rfind('/');
    std::string dir = slash == std::string::npos ? "." : path_.substr(0, slash == 0 ? 1 : slash);
    std::string base = slash == std::string::npos ? path_ : path_.substr(slash + 1);
    return dir + (dir.back() == '/' ? "" : "/") + "." + base + ".XXXXXX";
  }

  // Advances the chain with the result r of the request that completed.
  // Runs in libuv callbacks: no Lua.
  void step(ssize_t r) {
    int err = r < 0 ? static_cast<int>(r) : 0;
    // Keep what the request produced (so that cleanup sees it), then stop
    // here if the caller is gone.
    if (!err && (state_ == S_OPEN || state_ == S_MKSTEMP)) fd_ = static_cast<uv_file>(r);
    if (!err && state_ == S_RENAME) tmp_.clear();
    if (cancelled()) return finish(UV_ECANCELED);
    if (err && state_ != S_STAT_TARGET) return finish(err);
    switch (state_) {
      case S_SINGLE:
        return finish(0);
      case S_OPEN:
        if (kind_ == Kind::Open) return finish(0);
        if (kind_ == Kind::ReadFile) {
          state_ = S_FSTAT;
          return submit(uv_fs_fstat(uvl_, &req_, fd_, cb));
        }
        state_ = S_WRITE;
        if (data.empty()) {
          state_ = S_CLOSE;
          return submit(uv_fs_close(uvl_, &req_, release_fd(), cb));
        }
        return write_next();
      case S_FSTAT:
        regular_ = S_ISREG(st_.st_mode);
        data.resize(st_.st_size > 0 ? static_cast<size_t>(st_.st_size) + 1 : kChunk);
        state_ = S_READ;
        return read_next();
      case S_READ: {
        size_t asked = std::min(data.size() - offset_, kMaxIo);
        offset_ += static_cast<size_t>(r);
        // A short read of a regular file is its end; otherwise read to 0.
        if (r > 0 && !(regular_ && static_cast<size_t>(r) < asked)) return read_next();
        state_ = S_CLOSE;
        return submit(uv_fs_close(uvl_, &req_, release_fd(), cb));
      }
      case S_STAT_TARGET:
        // Keep the mode of the file being replaced; a new file gets the
        // mode open() would give it.
        mode = err ? static_cast<int>(0666 & ~g_umask) : static_cast<int>(st_.st_mode & 07777);
        state_ = S_MKSTEMP;
        return submit(uv_fs_mkstemp(uvl_, &req_, temp_template().c_str(), cb));
      case S_MKSTEMP:
        state_ = S_FCHMOD;
        return submit(uv_fs_fchmod(uvl_, &req_, fd_, mode, cb));
      case S_FCHMOD:
        state_ = S_WRITE;
        if (data.empty()) {
          state_ = S_FSYNC;
          return submit(uv_fs_fsync(uvl_, &req_, fd_, cb));
        }
        return write_next();
      case S_WRITE:
        offset_ += static_cast<size_t>(r);
        if (offset_ < data.size()) return write_next();
        if (atomic) {
          state_ = S_FSYNC;
          return submit(uv_fs_fsync(uvl_, &req_, fd_, cb));
        }
        state_ = S_CLOSE;
        return submit(uv_fs_close(uvl_, &req_, release_fd(), cb));
      case S_FSYNC:
        state_ = S_CLOSE;
        return submit(uv_fs_close(uvl_, &req_, release_fd(), cb));
      case S_CLOSE:
        if (!atomic) return finish(0);
        state_ = S_RENAME;
        return submit(uv_fs_rename(uvl_, &req_, tmp_.c_str(), path_.c_str(), cb));
      case S_RENAME:
        return finish(0);
    }
  }

  uv_file release_fd() { return std::exchange(fd_, -1); }

  uv_loop_t* uvl_;
  uv_fs_t req_;
  Kind kind_;
  State state_ = S_SINGLE;
  std::string path_;
  std::string tmp_;  // the atomic write's temp file, until renamed
  uv_file fd_ = -1;
  size_t offset_ = 0;
  bool regular_ = false;
  int err_ = 0;
  uv_stat_t st_{};
  std::vector<std::pair<std::string, const char*>> entries_;
  LuaRef fut_;
  Future* future_ = nullptr;
};

// ================================================================ Lua

static const char* check_path(lua_State* L, int arg) {
  size_t n;
  const char* p = luaL_checklstring(L, arg, &n);
  if (n == 0) luaL_argerror(L, arg, "non-empty path expected");
  if (std::memchr(p, '\0', n)) luaL_argerror(L, arg, "path contains a zero byte");
  return p;
}

// Makes the FsOp, lets `setup` fill it, starts it; returns its future.
// Callers check their other arguments first: no Lua error may be raised
// once C++ objects exist (in the loadable module, Lua errors longjmp).
template <class Setup>
static int run_op(lua_State* L, const char* fname, FsOp::Kind kind, Setup setup) {
  Loop* loop = io_loop(L, fname);
  const char* path = check_path(L, 1);
  IoHold& hold = *push_scoped<IoHold>(L);  // released on return and on error
  auto* op = new FsOp(loop, kind, path);
  hold.hold(op);
  setup(op);
  op->start(L);
  return 1;
}

static int l_read_file(lua_State* L) {
  return run_op(L, "read_file", FsOp::Kind::ReadFile, [](FsOp*) {});
}

// write_file(path, data [, {atomic = true}])
static int l_write_file(lua_State* L) {
  check_path(L, 1);
  size_t n;
  const char* p = luaL_checklstring(L, 2, &n);
  if (auto charge = io_policy().write)
    if (const char* refused = charge(n)) luaL_error(L, "%s", refused);
  bool atomic = false;
  static const char* const accepted[] = {"atomic", nullptr};
  if (check_options(L, 3, "write_file", accepted, 3)) {
    lua_getfield(L, 3, "atomic");
    atomic = lua_toboolean(L, -1);
    lua_pop(L, 1);
  }
  return run_op(L, "write_file", FsOp::Kind::WriteFile, [&](FsOp* op) {
    op->data.assign(p, n);
    op->atomic = atomic;
  });
}

static int l_stat(lua_State* L) { return run_op(L, "stat", FsOp::Kind::Stat, [](FsOp*) {}); }
static int l_lstat(lua_State* L) { return run_op(L, "lstat", FsOp::Kind::Lstat, [](FsOp*) {}); }
static int l_scandir(lua_State* L) { return run_op(L, "scandir", FsOp::Kind::Scandir, [](FsOp*) {}); }
static int l_rmdir(lua_State* L) { return run_op(L, "rmdir", FsOp::Kind::Rmdir, [](FsOp*) {}); }
static int l_unlink(lua_State* L) { return run_op(L, "unlink", FsOp::Kind::Unlink, [](FsOp*) {}); }

static int l_mkdir(lua_State* L) {
  int mode = static_cast<int>(luaL_optinteger(L, 2, 0777));
  return run_op(L, "mkdir", FsOp::Kind::Mkdir, [&](FsOp* op) { op->mode = mode; });
}

static int l_rename(lua_State* L) {
  check_path(L, 1);
  const char* to = check_path(L, 2);
  return run_op(L, "rename", FsOp::Kind::Rename, [&](FsOp* op) { op->path2 = to; });
}

// open(path [, mode]): mode as Lua's io.open: "r", "w", "a", "r+", "w+",
// "a+", each optionally with "b" (ignored).
static int l_open(lua_State* L) {
  const char* m = luaL_optstring(L, 2, "r");
  // The mode without its "b"s, in a fixed buffer (no C++ object may be live
  // across the argument error below).
  char mode[3] = "";
  size_t n = 0;
  bool valid = true;
  for (const char* c = m; *c && valid; c++)
    if (*c != 'b') {
      if (n < 2)
        mode[n++] = *c;
      else
        valid = false;
    }
  mode[n] = '\0';
  int flags = -1;
  if (!valid) flags = -1;
  else if (std::strcmp(mode, "r") == 0) flags = O_RDONLY;
  else if (std::strcmp(mode, "w") == 0) flags = O_WRONLY | O_CREAT | O_TRUNC;
  else if (std::strcmp(mode, "a") == 0) flags = O_WRONLY | O_CREAT | O_APPEND;
  else if (std::strcmp(mode, "r+") == 0) flags = O_RDWR;
  else if (std::strcmp(mode, "w+") == 0) flags = O_RDWR | O_CREAT | O_TRUNC;
  else if (std::strcmp(mode, "a+") == 0) flags = O_RDWR | O_CREAT | O_APPEND;
  if (flags < 0) return luaL_argerror(L, 2, lua_pushfstring(L, "invalid mode '%s'", m));
  return run_op(L, "open", FsOp::Kind::Open, [&](FsOp* op) {
    op->flags = flags;
    op->append = (flags & O_APPEND) != 0;
  });
}

static File* check_file(lua_State* L) {
  auto* box = static_cast<FileBox*>(luaL_checkudata(L, 1, kFileMT));
  if (!box->f || box->f->closing()) luaL_error(L, "attempt to use a closed file");
  return box->f;
}

// file:read([fmt]): fmt is a byte count (nil at EOF), "a" (the rest, "" at
// EOF), "l" (a line without its "\n", nil at EOF; the default) or "L"
// (with its "\n"), as Lua's io.
static int l_file_read(lua_State* L) {
  File* f = check_file(L);
  if (lua_type(L, 2) == LUA_TNUMBER) {
    lua_Integer n = luaL_checkinteger(L, 2);
    if (n < 0) luaL_argerror(L, 2, "non-negative byte count expected");
    f->push_read(L, File::Fmt::Count, static_cast<size_t>(n));
    return 1;
  }
  const char* fmt = luaL_optstring(L, 2, "l");
  if (*fmt == '*') fmt++;  // Lua 5.1 style
  switch (*fmt) {
    case 'a': f->push_read(L, File::Fmt::All, 0); break;
    case 'l': f->push_read(L, File::Fmt::Line, 0); break;
    case 'L': f->push_read(L, File::Fmt::LineKeep, 0); break;
    default: return luaL_argerror(L, 2, "invalid format");
  }
  return 1;
}

// file:write(...): strings or numbers, written in order; one future.
static int l_file_write(lua_State* L) {
  File* f = check_file(L);
  int n = lua_gettop(L);
  auto charge = io_policy().write;
  if (n == 2) {
    size_t len;
    const char* p = luaL_checklstring(L, 2, &len);
    if (charge)
      if (const char* refused = charge(len)) luaL_error(L, "%s", refused);
    f->push_write(L, p, len);
    return 1;
  }
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  for (int i = 2; i <= n; i++) {
    luaL_checklstring(L, i, nullptr);
    lua_pushvalue(L, i);
    luaL_addvalue(&b);
  }
  luaL_pushresult(&b);
  size_t len;
  const char* p = lua_tolstring(L, -1, &len);
  if (charge)
    if (const char* refused = charge(len)) luaL_error(L, "%s", refused);
  f->push_write(L, p, len);
  return 1;
}

static int l_file_close(lua_State* L) {
  auto* box = static_cast<FileBox*>(luaL_checkudata(L, 1, kFileMT));
  if (!box->f || box->f->closing()) {
    push_done_future(L);  // closing twice is fine
    return 1;
  }
  box->f->push_close(L);
  return 1;
}

static int l_file_close_now(lua_State* L) {
  auto* box = static_cast<FileBox*>(luaL_checkudata(L, 1, kFileMT));
  if (box->f) box->f->close_when_idle(L);
  return 0;
}

static int l_file_gc(lua_State* L) {
  auto* box = static_cast<FileBox*>(luaL_checkudata(L, 1, kFileMT));
  if (File* f = box->f) {
    box->f = nullptr;
    if (f->loop()) f->close_when_idle(L);
    f->release();
  }
  return 0;
}

static int l_file_tostring(lua_State* L) {
  auto* box = static_cast<FileBox*>(luaL_checkudata(L, 1, kFileMT));
  if (!box->f || box->f->closing())
    lua_pushliteral(L, "file (closed)");
  else
    lua_pushfstring(L, "file (%s)", box->f->path().c_str());
  return 1;
}

// The process umask, without changing it even for a moment (the thread pool
// may be creating files meanwhile).
static unsigned read_umask() {
  unsigned mask = 022;
  if (FILE* f = std::fopen("/proc/self/status", "r")) {
    char line[256];
    while (std::fgets(line, sizeof line, f))
      if (std::sscanf(line, "Umask: %o", &mask) == 1) break;
    std::fclose(f);
  }
  return mask;
}

int luaopen_fs(lua_State* L) {
  g_umask = read_umask();
  static const Reg file_methods[] = {
      {"read", fn<l_file_read>},
      {"write", fn<l_file_write>},
      {"close", fn<l_file_close>},
      {nullptr, nullptr},
  };
  static const Reg file_meta[] = {
      {"__gc", fn<l_file_gc>},
      {"__close", fn<l_file_close_now>},
      {"__tostring", fn<l_file_tostring>},
      {nullptr, nullptr},
  };
  new_io_type(L, kFileMT, file_methods, file_meta);
  static const Reg fns[] = {
      {"read_file", fn<l_read_file>},
      {"write_file", fn<l_write_file>},
      {"stat", fn<l_stat>},
      {"lstat", fn<l_lstat>},
      {"scandir", fn<l_scandir>},
      {"mkdir", fn<l_mkdir>},
      {"rmdir", fn<l_rmdir>},
      {"unlink", fn<l_unlink>},
      {"rename", fn<l_rename>},
      {"open", fn<l_open>},
      {nullptr, nullptr},
  };
  new_lib(L, fns);
  luaL_getmetatable(L, kFileMT);
  lua_getfield(L, -1, "__index");
  lua_setfield(L, -3, "File");  // the methods, for those written in Lua
  lua_pop(L, 1);
  return 1;
}

}  // namespace luasync
