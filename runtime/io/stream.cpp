// stream.cpp: see stream.h. Ported in spirit from CPython's streams.py and
// selector_events.py (_SelectorSocketTransport), on libuv streams. Servers
// and connecting are in tcp.cpp.
#include "stream.h"

#include <sys/socket.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <new>

#include "future.h"
#include "trampoline.h"

namespace luasync {

namespace {
constexpr size_t kHighWater = 64 * 1024;     // drain() waits above this
constexpr size_t kLowWater = 16 * 1024;      // ... until back under this
constexpr size_t kReadChunk = 64 * 1024;

enum : uint32_t { EV_READ = 1, EV_DRAIN = 2, EV_CLOSED = 4, EV_FILTER = 8 };
}  // namespace

// ================================================================ Stream

Stream::Stream(Loop* loop, Kind kind, size_t limit) : IoObject(loop), kind_(kind), limit_(limit) {
  if (kind == Kind::Tcp)
    uv_tcp_init(loop->uv(), &h_.tcp);
  else
    uv_pipe_init(loop->uv(), &h_.pipe, 0);
  h_.handle.data = this;
  hold_uv();  // the open handle
}

Stream::~Stream() { delete filter_; }

// ---------------------------------------------------------------- reading

void Stream::start_reading() {
  read_wanted_ = true;
  if (reading_ || eof_ || read_err_ || closing_) return;
  int r = uv_read_start(stream(), alloc_cb, read_cb);
  if (r == 0)
    reading_ = true;
  else
    read_err_ = r;
}

void Stream::stop_reading() {
  if (!reading_) return;
  uv_read_stop(stream());
  reading_ = false;
}

void Stream::alloc_cb(uv_handle_t*, size_t, uv_buf_t* buf) {
  // One buffer for every stream: libuv reads into it and calls read_cb at
  // once, which copies the bytes out.
  static char chunk[kReadChunk];
  *buf = uv_buf_init(chunk, sizeof chunk);
}

void Stream::read_cb(uv_stream_t* st, ssize_t nread, const uv_buf_t* buf) {
  auto* s = static_cast<Stream*>(st->data);
  if (nread > 0) {
    if (!s->filter_) {
      s->rbuf_.append(buf->base, static_cast<size_t>(nread));
    } else {
      s->note_activity();
      if (!s->filter_->input(s, buf->base, static_cast<size_t>(nread))) s->filter_failed();
    }
  } else if (nread == UV_EOF) {
    // libuv reports EOF without reading when epoll says POLLHUP after a
    // short read, so a reset (RST) would pass for an orderly end: ask the
    // socket whether an error is pending.
    int err = 0;
    socklen_t len = sizeof err;
    uv_os_fd_t fd;
    if (s->kind_ != Kind::Pipe && uv_fileno(reinterpret_cast<uv_handle_t*>(st), &fd) == 0 &&
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err != 0)
      s->read_err_ = -err;  // libuv's error codes are negated errno values
    else
      s->eof_ = true;
    s->stop_reading();
  } else if (nread < 0) {
    s->read_err_ = static_cast<int>(nread);
    s->stop_reading();
  } else {
    return;  // EAGAIN
  }
  if (nread < 0 && s->filter_) s->filter_->input_end(s, s->eof_ ? 0 : s->read_err_);
  s->after_input();
}

// New bytes in the buffer, or EOF, or an error: wake the waiting read, or
// stop reading when the buffer is full.
void Stream::after_input() {
  // The waiting read's future may have been cancelled: then nobody waits.
  bool waiting = op_ != Op::None && !op_future_->done();
  if (waiting) {
    if (op_ready()) post(EV_READ);
  } else if (avail() > 2 * limit_) {
    stop_reading();  // back-pressure on the peer until a read catches up
  }
}

// ---------------------------------------------------------------- filter

void Stream::set_filter(StreamFilter* f) {
  filter_ = f;
  if (avail() == 0) return;
  // What was read before the filter came is its input.
  std::string early = rbuf_.substr(rpos_);
  rbuf_.clear();
  rpos_ = 0;
  scanned_ = 0;
  if (!filter_->input(this, early.data(), early.size())) filter_failed();
  after_input();
}

void Stream::filter_failed() {
  filter_error_ = true;
  if (!read_err_) read_err_ = UV_EPROTO;
  stop_reading();
  write_failed(UV_EPROTO);
  hold_clock_for_peer(false);
}

void Stream::filter_eof() {
  eof_ = true;
  stop_reading();
}

void Stream::filter_event() { post(EV_FILTER); }

void Stream::push_error(lua_State* L, int err) {
  if (filter_error_ && filter_)
    filter_->push_error(L);
  else
    push_os_error(L, err);
}

void Stream::note_activity() {
  if (clock_held_) uv_timer_again(quiet_);
}

void Stream::hold_clock_for_peer(bool on) {
  peer_wanted_ = on;
  Loop* lp = loop();
  if (on && !clock_held_ && lp && !handle_closing_) {
    if (!quiet_) {
      quiet_ = new uv_timer_t;
      uv_timer_init(lp->uv(), quiet_);
      quiet_->data = this;
    }
    auto ms = static_cast<uint64_t>(lp->options().autojump_grace * 1000.0) + 1;
    uv_timer_start(quiet_, quiet_cb, ms, ms);
    lp->hold_clock();
    clock_held_ = true;
  } else if (!on && clock_held_) {
    uv_timer_stop(quiet_);
    clock_held_ = false;
    if (lp) lp->release_clock();
  }
}

// The peer has been quiet for a whole grace: let the virtual clock move
// (a timeout of the handshake may be due).
void Stream::quiet_cb(uv_timer_t* t) {
  auto* s = static_cast<Stream*>(t->data);
  uv_timer_stop(t);
  s->clock_held_ = false;
  if (s->loop()) s->loop()->release_clock();
}

void Stream::quiet_closed_cb(uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); }

size_t Stream::find_sep() {
  size_t n = sep_.size();
  size_t from = rpos_ + (scanned_ >= n ? scanned_ - n + 1 : 0);
  size_t i = n == 1 ? rbuf_.find(sep_[0], from) : rbuf_.find(sep_, from);
  if (i == std::string::npos) {
    scanned_ = avail();
    return i;
  }
  return i - rpos_;
}

bool Stream::op_ready() {
  if (eof_ || read_err_) return true;
  switch (op_) {
    case Op::Read:
      return avail() > 0;
    case Op::Exactly:
      return avail() >= op_n_;
    case Op::Until:
      return find_sep() != std::string::npos || avail() > limit_;
    default:
      return false;
  }
}

void Stream::consume(lua_State* L, size_t n) {
  lua_pushlstring(L, rbuf_.data() + rpos_, n);
  rpos_ += n;
  scanned_ = 0;
  if (rpos_ == rbuf_.size()) {
    rpos_ = 0;
    if (rbuf_.capacity() > 4 * limit_ + kReadChunk)
      std::string().swap(rbuf_);  // after a big readexactly
    else
      rbuf_.clear();
  } else if (rpos_ >= kReadChunk && rpos_ * 2 >= rbuf_.size()) {
    rbuf_.erase(0, rpos_);
    rpos_ = 0;
  }
  if (!reading_ && read_wanted_ && avail() <= limit_) start_reading();
}

// Pushes IncompleteReadError(partial, expected) with the partial data on top.
static void push_incomplete(lua_State* L, lua_Integer expected) {
  int partial = lua_gettop(L);
  push_asyncio_field(L, "IncompleteReadError");
  size_t got = lua_rawlen(L, partial);
  if (expected >= 0)
    lua_pushfstring(L, "%I bytes read on a total of %I expected bytes", static_cast<lua_Integer>(got),
                    expected);
  else
    lua_pushfstring(L, "%I bytes read on a total of undefined expected bytes",
                    static_cast<lua_Integer>(got));
  lua_createtable(L, 0, 2);
  lua_pushvalue(L, partial);
  lua_setfield(L, -2, "partial");
  if (expected >= 0) {
    lua_pushinteger(L, expected);
    lua_setfield(L, -2, "expected");
  }
  lua_call(L, 2, 1);
  lua_remove(L, partial);
}

static void push_limit_overrun(lua_State* L, const char* msg, size_t consumed) {
  push_asyncio_field(L, "LimitOverrunError");
  lua_pushstring(L, msg);
  lua_createtable(L, 0, 1);
  lua_pushinteger(L, static_cast<lua_Integer>(consumed));
  lua_setfield(L, -2, "consumed");
  lua_call(L, 2, 1);
}

// Completes the registered read, which is ready, into the future at fut_idx.
void Stream::complete_read(lua_State* L, int fut_idx) {
  fut_idx = lua_absindex(L, fut_idx);
  Op op = op_;
  op_ = Op::None;
  op_fut_.reset();
  op_future_ = nullptr;
  switch (op) {
    case Op::Read:
      if (avail() > 0) {
        consume(L, std::min(op_n_, avail()));
        return resolve_top(L, fut_idx, 1);
      }
      break;
    case Op::ReadAll:
      if (!read_err_) {
        consume(L, avail());
        return resolve_top(L, fut_idx, 1);
      }
      break;
    case Op::Exactly:
      if (avail() >= op_n_) {
        consume(L, op_n_);
        return resolve_top(L, fut_idx, 1);
      }
      if (!read_err_) {
        consume(L, avail());
        push_incomplete(L, static_cast<lua_Integer>(op_n_));
        return reject_top(L, fut_idx);
      }
      break;
    case Op::Until: {
      size_t i = find_sep();
      if (i != std::string::npos && i <= limit_) {
        consume(L, i + sep_.size());
        return resolve_top(L, fut_idx, 1);
      }
      if (i != std::string::npos || avail() > limit_) {
        bool found = i != std::string::npos;
        size_t at = found ? i : avail();
        if (op_line_) {  // readline drops the overlong line, as in Python
          consume(L, found ? i + sep_.size() : avail());
          lua_pop(L, 1);
        }
        push_limit_overrun(L,
                           found ? "Separator is found, but chunk is longer than limit"
                                 : "Separator is not found, and chunk exceed the limit",
                           at);
        return reject_top(L, fut_idx);
      }
      if (!read_err_) {
        consume(L, avail());
        if (op_line_) return resolve_top(L, fut_idx, 1);  // the last line, or ""
        push_incomplete(L, -1);
        return reject_top(L, fut_idx);
      }
      break;
    }
    case Op::None:
      return;
  }
  // At EOF with nothing buffered (Read), or a read error.
  if (read_err_) {
    push_error(L, read_err_);
    return reject_top(L, fut_idx);
  }
  lua_pushliteral(L, "");
  resolve_top(L, fut_idx, 1);
}

void Stream::push_read(lua_State* L, Op op, size_t n, const char* sep, size_t seplen, bool line) {
  if (op_ != Op::None) {
    if (!op_future_->done())
      luaL_error(L, "read called while another task is already waiting for incoming data");
    op_fut_.reset();  // its task was cancelled
    op_future_ = nullptr;
    op_ = Op::None;
  }
  op_ = op;
  op_n_ = n;
  op_line_ = line;
  if (op == Op::Until) {
    sep_.assign(sep, seplen);
    scanned_ = 0;
  }
  Future* f = push_new_future(L);
  future_set_label(L, -1, "read");  // named in timelines
  if (op_ready()) {
    complete_read(L, -1);
    return;
  }
  op_fut_ = io_ref(L, -1);
  op_future_ = f;
  if (!reading_ && read_wanted_) start_reading();  // even above the limit: someone waits
}

// ---------------------------------------------------------------- writing

void Stream::write(const char* p, size_t n) {
  if (write_err_ || n == 0) return;  // the connection is lost: drain() reports it
  if (filter_) {
    if (!filter_->output(this, p, n)) filter_failed();
    if (queued_bytes() > kHighWater) paused_ = true;
    return;
  }
  send_raw(p, n);
}

// Writes bytes to the socket: at once what it takes, the rest queued.
void Stream::send_raw(const char* p, size_t n) {
  if (write_err_ || n == 0 || handle_closing_) return;
  if (!writing_ && wpending_.empty()) {
    uv_buf_t b = uv_buf_init(const_cast<char*>(p), static_cast<unsigned>(std::min<size_t>(n, 1u << 30)));
    int r = uv_try_write(stream(), &b, 1);
    if (r >= 0 && static_cast<size_t>(r) == n) return;
    if (r < 0 && r != UV_EAGAIN) {
      write_failed(r);
      return;
    }
    if (r > 0) {
      p += r;
      n -= static_cast<size_t>(r);
    }
    wpending_.append(p, n);
    start_write();
  } else {
    wpending_.append(p, n);
  }
  if (queued_bytes() > kHighWater) paused_ = true;
}

// Starts the libuv write of what is pending (nothing is in flight).
void Stream::start_write() {
  wdata_.swap(wpending_);
  wpending_.clear();
  uv_buf_t b = uv_buf_init(wdata_.data(), static_cast<unsigned>(wdata_.size()));
  int r = uv_write(&wreq_, stream(), &b, 1, write_cb);
  if (r < 0) {
    wdata_.clear();
    write_failed(r);
    return;
  }
  writing_ = true;
  hold_uv();
  // Not all written at once: the peer must read before this completes.
  if (h_.stream.write_queue_size > 0 && loop()) {
    loop()->park_request();
    parked_ = true;
  }
}

// Tries to write what is pending right away, and queues the rest.
void Stream::flush() {
  uv_buf_t b = uv_buf_init(wpending_.data(), static_cast<unsigned>(std::min<size_t>(wpending_.size(), 1u << 30)));
  int r = uv_try_write(stream(), &b, 1);
  if (r >= 0 && static_cast<size_t>(r) == wpending_.size()) {
    wpending_.clear();
    return;
  }
  if (r < 0 && r != UV_EAGAIN) {
    write_failed(r);
    return;
  }
  if (r > 0) wpending_.erase(0, static_cast<size_t>(r));
  start_write();
}

void Stream::write_cb(uv_write_t* req, int status) {
  auto* s = static_cast<Stream*>(req->handle->data);
  s->writing_ = false;
  if (s->wdata_.capacity() > 4 * kHighWater)
    std::string().swap(s->wdata_);
  else
    s->wdata_.clear();
  if (s->parked_) {
    s->parked_ = false;
    if (s->loop()) s->loop()->unpark_request();
  }
  if (status < 0) {
    if (status != UV_ECANCELED) s->write_failed(status);
  } else if (!s->wpending_.empty() && !s->handle_closing_) {
    s->flush();
  }
  s->after_writes();
  s->release_uv();  // last: may free s
}

void Stream::write_failed(int err) {
  write_err_ = err;
  wpending_.clear();
  if (paused_) {
    paused_ = false;
    post(EV_DRAIN);
  }
}

// After the write queue shrank: wake drain(), then shut down or close when
// that was waiting for the queue to empty.
void Stream::after_writes() {
  if (paused_ && queued_bytes() <= kLowWater) {
    paused_ = false;
    post(EV_DRAIN);
  }
  if (writing_ || !wpending_.empty()) return;
  if (closing_) {
    close_handle();
  } else if (want_shutdown_ && !shutting_down_ && !write_err_) {
    shutting_down_ = true;
    if (uv_shutdown(&sreq_, stream(), shutdown_cb) == 0) hold_uv();
  }
}

void Stream::shutdown_cb(uv_shutdown_t* req, int) {
  static_cast<Stream*>(req->handle->data)->release_uv();
}

void Stream::push_drain(lua_State* L) {
  if (write_err_) {
    push_new_future(L);
    push_error(L, write_err_);
    reject_top(L, -2);
    return;
  }
  if (!paused_) {
    if (!done_fut_) {
      push_done_future(L);
      done_fut_ = io_ref(L, -1);
      return;
    }
    done_fut_.push(L);
    return;
  }
  push_new_future(L);
  future_set_label(L, -1, "drain");  // named in timelines
  drain_waiters_.push_back(io_ref(L, -1));
}

void Stream::write_eof() {
  if (kind_ == Kind::Pipe) {  // a pipe has no half-close: closing it is the EOF
    close();
    return;
  }
  if (want_shutdown_) return;
  want_shutdown_ = true;
  after_writes();
}

// ---------------------------------------------------------------- closing

void Stream::close() {
  if (closing_) return;
  if (filter_ && !handle_closing_ && !write_err_) filter_->closing(this);
  closing_ = true;
  stop_reading();
  eof_ = true;  // a waiting read gets what is buffered, then EOF
  if (op_ != Op::None) post(EV_READ);
  if (paused_) {
    paused_ = false;
    post(EV_DRAIN);
  }
  after_writes();  // closes now, or once the queued writes are out
}

void Stream::abort() {
  wpending_.clear();
  close();
  close_handle();
}

void Stream::close_handle() {
  if (handle_closing_) return;
  handle_closing_ = true;
  stop_reading();
  hold_clock_for_peer(false);
  if (quiet_) {
    uv_close(reinterpret_cast<uv_handle_t*>(quiet_), quiet_closed_cb);
    quiet_ = nullptr;
  }
  uv_close(&h_.handle, close_cb);
}

void Stream::close_cb(uv_handle_t* h) {
  auto* s = static_cast<Stream*>(h->data);
  s->closed_ = true;
  s->post(EV_CLOSED);
  if (Server* srv = s->server) {
    s->server = nullptr;
    server_connection_closed(srv);
  }
  s->release_uv();  // last: may free s
}

void Stream::push_wait_closed(lua_State* L) {
  if (closed_) {
    push_done_future(L);
    return;
  }
  push_new_future(L);
  future_set_label(L, -1, "wait_closed");  // named in timelines
  closed_waiters_.push_back(io_ref(L, -1));
}

void Stream::on_events(lua_State* L, uint32_t events) {
  if ((events & EV_READ) && op_ != Op::None) {
    if (op_future_->done()) {  // cancelled: the data stays buffered
      op_ = Op::None;
      op_fut_.reset();
      op_future_ = nullptr;
    } else if (op_ready()) {
      op_fut_.push(L);
      complete_read(L, -1);
      lua_pop(L, 1);
    }
  }
  if (events & EV_DRAIN) {
    std::vector<LuaRef> waiters;
    waiters.swap(drain_waiters_);
    for (LuaRef& w : waiters) {
      if (!take_pending(L, w)) continue;
      if (write_err_) {
        push_error(L, write_err_);
        reject_top(L, -2);
      } else {
        resolve_top(L, -1, 0);
      }
      lua_pop(L, 1);
    }
  }
  if ((events & EV_FILTER) && filter_) filter_->on_event(L, this);
  if (events & EV_CLOSED) {
    std::vector<LuaRef> waiters;
    waiters.swap(closed_waiters_);
    for (LuaRef& w : waiters) {
      if (!take_pending(L, w)) continue;
      resolve_top(L, -1, 0);
      lua_pop(L, 1);
    }
  }
}

void Stream::loop_closing(lua_State*) {
  if (filter_) filter_->loop_closing();
  closing_ = true;
  eof_ = true;
  op_ = Op::None;
  op_fut_.reset();
  op_future_ = nullptr;
  drain_waiters_.clear();
  closed_waiters_.clear();
  done_fut_.reset();
  if (parked_) {
    parked_ = false;
    loop()->unpark_request();
  }
  close_handle();
}

void Stream::box_collected(StreamBox* box) {
  if (box == reader_box) reader_box = nullptr;
  if (box == writer_box) writer_box = nullptr;
  if (!reader_box && !writer_box) close();  // nobody can use it any more
  release();
}

// ---------------------------------------------------------------- addresses

void Stream::push_address(lua_State* L, bool peer) {
  if (kind_ == Kind::Unix) {  // the socket's path, as Python ("" when unnamed)
    char path[1024];
    size_t len = sizeof path;
    if (handle_closing_ || (peer ? uv_pipe_getpeername(pipe(), path, &len) : uv_pipe_getsockname(pipe(), path, &len)) != 0)
      lua_pushnil(L);
    else
      lua_pushlstring(L, path, len);
    return;
  }
  sockaddr_storage ss;
  int len = sizeof ss;
  if (kind_ != Kind::Tcp || handle_closing_ ||
      (peer ? uv_tcp_getpeername(tcp(), reinterpret_cast<sockaddr*>(&ss), &len)
            : uv_tcp_getsockname(tcp(), reinterpret_cast<sockaddr*>(&ss), &len)) != 0 ||
      !push_sockaddr(L, reinterpret_cast<sockaddr*>(&ss)))
    lua_pushnil(L);
}

// ---------------------------------------------------------------- userdata

void Stream::push_reader(lua_State* L) {
  auto* box = static_cast<StreamBox*>(lua_newuserdatauv(L, sizeof(StreamBox), 0));
  box->magic = kReaderMagic;
  box->s = this;
  luaL_setmetatable(L, kReaderMT);
  reader_box = box;
  hold();
}

void Stream::push_writer(lua_State* L) {
  auto* box = static_cast<StreamBox*>(lua_newuserdatauv(L, sizeof(StreamBox), 0));
  box->magic = kWriterMagic;
  box->s = this;
  luaL_setmetatable(L, kWriterMT);
  writer_box = box;
  hold();
}

// The box at index 1 if it is a reader (magic kReaderMagic) or writer. Only
// this file makes userdata of this size starting with these words (Lua code
// cannot write into userdata), so this is as safe as luaL_checkudata without
// its registry lookup by name; a mismatch falls back to it for the message.
static StreamBox* check_box(lua_State* L, uint32_t magic, const char* tname) {
  auto* box = static_cast<StreamBox*>(lua_touserdata(L, 1));
  if (box && lua_rawlen(L, 1) == sizeof(StreamBox) && box->magic == magic) return box;
  return static_cast<StreamBox*>(luaL_checkudata(L, 1, tname));
}

// The stream of a reader; raises once its loop has closed.
static Stream* check_reader(lua_State* L) {
  auto* box = check_box(L, kReaderMagic, kReaderMT);
  if (!box->s || !box->s->loop()) luaL_error(L, "attempt to use a closed stream");
  return box->s;
}

// The stream of a writer; raises once it is closed.
static Stream* check_writer(lua_State* L, bool open = true) {
  auto* box = check_box(L, kWriterMagic, kWriterMT);
  if (!box->s || (open && (box->s->closing() || !box->s->loop())))
    luaL_error(L, "attempt to use a closed stream");
  return box->s;
}

static size_t check_count(lua_State* L, int arg) {
  lua_Integer n = luaL_checkinteger(L, arg);
  if (n < 0) luaL_argerror(L, arg, "non-negative byte count expected");
  return static_cast<size_t>(n);
}

// reader:read([n]): up to n bytes (n = -1 or nil: until EOF); "" at EOF.
static int l_read(lua_State* L) {
  Stream* s = check_reader(L);
  lua_Integer n = luaL_optinteger(L, 2, -1);
  if (n == 0) {
    push_new_future(L);
    lua_pushliteral(L, "");
    resolve_top(L, -2, 1);
    return 1;
  }
  if (n < 0)
    s->push_read(L, Stream::Op::ReadAll, 0, nullptr, 0, false);
  else
    s->push_read(L, Stream::Op::Read, static_cast<size_t>(n), nullptr, 0, false);
  return 1;
}

static int l_readexactly(lua_State* L) {
  Stream* s = check_reader(L);
  s->push_read(L, Stream::Op::Exactly, check_count(L, 2), nullptr, 0, false);
  return 1;
}

static int l_readline(lua_State* L) {
  Stream* s = check_reader(L);
  s->push_read(L, Stream::Op::Until, 0, "\n", 1, true);
  return 1;
}

static int l_readuntil(lua_State* L) {
  Stream* s = check_reader(L);
  size_t len;
  const char* sep = luaL_optlstring(L, 2, "\n", &len);
  if (len == 0) luaL_argerror(L, 2, "separator should be at least one-byte string");
  s->push_read(L, Stream::Op::Until, 0, sep, len, false);
  return 1;
}

static int l_at_eof(lua_State* L) {
  lua_pushboolean(L, check_reader(L)->at_eof());
  return 1;
}

static int l_reader_tostring(lua_State* L) {
  auto* box = static_cast<StreamBox*>(luaL_checkudata(L, 1, kReaderMT));
  lua_pushfstring(L, "<StreamReader%s %p>", box->s && box->s->loop() ? "" : " closed", box);
  return 1;
}

static int l_box_gc(lua_State* L) {
  auto* box = static_cast<StreamBox*>(luaL_testudata(L, 1, kReaderMT));
  if (!box) box = static_cast<StreamBox*>(luaL_checkudata(L, 1, kWriterMT));
  if (Stream* s = box->s) {
    box->s = nullptr;
    s->box_collected(box);
  }
  return 0;
}

static int l_write(lua_State* L) {
  Stream* s = check_writer(L);
  size_t n;
  const char* p = luaL_checklstring(L, 2, &n);
  s->write(p, n);
  return 0;
}

static int l_writelines(lua_State* L) {
  Stream* s = check_writer(L);
  luaL_checktype(L, 2, LUA_TTABLE);
  lua_Integer n = luaL_len(L, 2);
  for (lua_Integer i = 1; i <= n; i++) {
    lua_geti(L, 2, i);
    size_t len;
    const char* p = lua_tolstring(L, -1, &len);
    if (!p) luaL_error(L, "bad argument #1 to 'writelines' (string expected at index %I)", i);
    s->write(p, len);
    lua_pop(L, 1);
  }
  return 0;
}

static int l_drain(lua_State* L) {
  check_writer(L)->push_drain(L);
  return 1;
}

static int l_write_eof(lua_State* L) {
  Stream* s = check_writer(L);
  if (s->filter()) luaL_error(L, "write_eof() is not supported on a TLS stream (see can_write_eof())");
  s->write_eof();
  return 0;
}

static int l_can_write_eof(lua_State* L) {
  Stream* s = check_writer(L, false);
  lua_pushboolean(L, s->kind() != Stream::Kind::Pipe && !s->filter());
  return 1;
}

static int l_close(lua_State* L) {
  auto* box = static_cast<StreamBox*>(luaL_checkudata(L, 1, kWriterMT));
  if (box->s && box->s->loop()) box->s->close();
  return 0;
}

static int l_is_closing(lua_State* L) {
  auto* box = static_cast<StreamBox*>(luaL_checkudata(L, 1, kWriterMT));
  lua_pushboolean(L, !box->s || box->s->closing());
  return 1;
}

static int l_wait_closed(lua_State* L) {
  auto* box = static_cast<StreamBox*>(luaL_checkudata(L, 1, kWriterMT));
  if (!box->s || !box->s->loop()) {
    push_done_future(L);
    return 1;
  }
  box->s->push_wait_closed(L);
  return 1;
}

static int l_get_extra_info(lua_State* L) {
  Stream* s = check_writer(L, false);
  const char* name = luaL_checkstring(L, 2);
  if (std::strcmp(name, "peername") == 0 || std::strcmp(name, "sockname") == 0) {
    s->push_address(L, name[0] == 'p');
    if (!lua_isnil(L, -1)) return 1;
  } else if (s->filter() && s->filter()->push_extra_info(L, name)) {
    return 1;
  }
  lua_settop(L, 3);  // the default
  return 1;
}

static int l_writer_tostring(lua_State* L) {
  auto* box = static_cast<StreamBox*>(luaL_checkudata(L, 1, kWriterMT));
  lua_pushfstring(L, "<StreamWriter%s %p>", !box->s || box->s->closing() ? " closed" : "", box);
  return 1;
}

void open_stream_types(lua_State* L) {
  // Writing to a socket whose peer has gone must be an EPIPE error, not a
  // signal that ends the process (Python ignores SIGPIPE too).
  std::signal(SIGPIPE, SIG_IGN);
  static const Reg reader_methods[] = {
      {"read", fn<l_read>},           {"readline", fn<l_readline>}, {"readexactly", fn<l_readexactly>},
      {"readuntil", fn<l_readuntil>}, {"at_eof", fn<l_at_eof>},     {nullptr, nullptr},
  };
  static const Reg reader_meta[] = {
      {"__gc", fn<l_box_gc>}, {"__tostring", fn<l_reader_tostring>}, {nullptr, nullptr}};
  static const Reg writer_methods[] = {
      {"write", fn<l_write>},
      {"writelines", fn<l_writelines>},
      {"drain", fn<l_drain>},
      {"write_eof", fn<l_write_eof>},
      {"can_write_eof", fn<l_can_write_eof>},
      {"close", fn<l_close>},
      {"is_closing", fn<l_is_closing>},
      {"wait_closed", fn<l_wait_closed>},
      {"get_extra_info", fn<l_get_extra_info>},
      {nullptr, nullptr},
  };
  static const Reg writer_meta[] = {
      {"__gc", fn<l_box_gc>}, {"__close", fn<l_close>}, {"__tostring", fn<l_writer_tostring>}, {nullptr, nullptr}};
  new_io_type(L, kReaderMT, reader_methods, reader_meta);
  new_io_type(L, kWriterMT, writer_methods, writer_meta);
}

}  // namespace luasync
