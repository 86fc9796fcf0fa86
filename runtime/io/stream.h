// stream.h: TCP and pipe streams (Python's StreamReader/StreamWriter over a
// transport). Servers and asyncio.open_connection / start_server: tcp.h.
//
// A Stream is one connected libuv stream with a read buffer and a write
// queue. Lua sees it through two userdata, asyncio.StreamReader and
// asyncio.StreamWriter; the writer is the to-be-closed resource (closing the
// writer closes the connection, as in Python). When both userdata are
// collected, an open stream is closed.
//
// Reading is eager, as in Python: the stream reads whatever arrives into its
// buffer until the buffer holds more than 2 * limit bytes (limit: 64 KiB by
// default), then pauses until a read brings it back to limit. At most one
// read waits at a time; its future is completed from the ready queue when
// the buffer can satisfy it. A read whose task is cancelled consumes
// nothing: the data stays buffered for the next read.
//
// write() never blocks: it writes at once what the socket takes and queues
// the rest (one libuv write in flight at a time, later writes coalesced
// behind it). drain() waits while more than 64 KiB are queued, until the
// queue is back under 16 KiB (Python's default water marks).
#pragma once

#include <lua.hpp>
#include <uv.h>

#include <string>
#include <vector>

#include "io.h"

namespace luasync {

class Server;
class Stream;

// A layer between the socket and the stream's buffers: TLS (runtime/io/tls.cpp,
// in the network plugin, so that OpenSSL stays out of the executable's
// start-up). The stream hands it the bytes read from the socket (input) and
// the bytes the program writes (output); the filter gives back plaintext
// with Stream::deliver and bytes for the socket with Stream::send_raw.
// input/output/closing run in libuv callbacks or C functions: they never
// call Lua and never raise. on_event and push_error run in Lua context.
class StreamFilter {
 public:
  virtual ~StreamFilter() = default;
  // Bytes from the socket; false: the stream has failed (push_error says why).
  virtual bool input(Stream* s, const char* p, size_t n) = 0;
  // The socket reached EOF (err 0) or failed (a libuv error).
  virtual void input_end(Stream* s, int err) {}
  // Bytes the program writes; false: the stream has failed.
  virtual bool output(Stream* s, const char* p, size_t n) = 0;
  // Bytes accepted by output() and not yet handed to send_raw (they wait
  // for the handshake): they count towards drain()'s water marks.
  virtual size_t buffered() const = 0;
  // writer:close(): send what ends the session (TLS close_notify).
  virtual void closing(Stream* s) = 0;
  // From the ready queue after Stream::filter_event().
  virtual void on_event(lua_State* L, Stream* s) = 0;
  // Pushes the error value of a failed stream.
  virtual void push_error(lua_State* L) = 0;
  // writer:get_extra_info(name): pushes the value and returns true if the
  // filter knows name.
  virtual bool push_extra_info(lua_State* L, const char* name) { return false; }
  // The loop is closing: drop every Lua reference.
  virtual void loop_closing() = 0;
};

inline constexpr const char* kReaderMT = "asyncio.StreamReader";
inline constexpr const char* kWriterMT = "asyncio.StreamWriter";

struct StreamBox;

class Stream final : public IoObject {
 public:
  // Tcp; Pipe: a subprocess's pipe; Unix: a Unix domain socket.
  enum class Kind : uint8_t { Tcp, Pipe, Unix };
  enum class Op : uint8_t { None, Read, ReadAll, Exactly, Until };

  Stream(Loop* loop, Kind kind, size_t limit);

  uv_stream_t* stream() { return &h_.stream; }
  uv_tcp_t* tcp() { return &h_.tcp; }
  uv_pipe_t* pipe() { return &h_.pipe; }
  Kind kind() const { return kind_; }

  // Starts reading (once connected, accepted or spawned).
  void start_reading();
  // Pushes the reader / writer userdata (each made once).
  void push_reader(lua_State* L);
  void push_writer(lua_State* L);
  // writer:close(): stop reading, flush what is queued, then close.
  void close();
  // Closes the handle now, dropping queued writes.
  void abort();
  bool closing() const { return closing_; }

  // Reader side (Lua context). Registers a read; pushes its future.
  void push_read(lua_State* L, Op op, size_t n, const char* sep, size_t seplen, bool line);
  bool at_eof() const { return (eof_ || read_err_) && avail() == 0; }
  // Writer side.
  void write(const char* p, size_t n);
  void push_drain(lua_State* L);
  void push_wait_closed(lua_State* L);
  void write_eof();
  // Pushes {host, port, host=, port=} for "peername" / "sockname", or nil.
  void push_address(lua_State* L, bool peer);

  // The filter (owned; set once, e.g. by start_tls). Bytes already read and
  // not consumed are handed to it as input.
  void set_filter(StreamFilter* f);
  StreamFilter* filter() const { return filter_; }
  // For the filter: plaintext for the reader, bytes for the socket, the
  // peer's orderly end of the session, and an event for on_event.
  void deliver(const char* p, size_t n) { rbuf_.append(p, n); }
  void send_raw(const char* p, size_t n);
  void filter_eof();
  void filter_event();
  // Pushes the error of a failed read or write (the filter's, or an OSError).
  void push_error(lua_State* L, int err);
  // While the filter waits for its peer (a handshake), the virtual clock
  // waits for real I/O, until the socket has been quiet for the loop's
  // autojump grace.
  void hold_clock_for_peer(bool on);

  Server* server = nullptr;  // the server that accepted it, if any
  StreamBox* reader_box = nullptr;
  StreamBox* writer_box = nullptr;
  void box_collected(StreamBox* box);

 protected:
  void on_events(lua_State* L, uint32_t events) override;
  void loop_closing(lua_State* L) override;

 private:
  static void alloc_cb(uv_handle_t*, size_t, uv_buf_t* buf);
  static void read_cb(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf);
  static void write_cb(uv_write_t* req, int status);
  static void shutdown_cb(uv_shutdown_t* req, int status);
  static void close_cb(uv_handle_t* h);

  size_t avail() const { return rbuf_.size() - rpos_; }
  size_t queued_bytes() const {
    return (writing_ ? h_.stream.write_queue_size : 0) + wpending_.size() + (filter_ ? filter_->buffered() : 0);
  }
  void stop_reading();
  bool op_ready();
  size_t find_sep();
  void complete_read(lua_State* L, int fut_idx);
  void consume(lua_State* L, size_t n);  // pushes the first n buffered bytes
  void flush();
  void start_write();
  void write_failed(int err);
  void after_writes();
  void close_handle();
  void after_input();
  void filter_failed();
  void note_activity();
  static void quiet_cb(uv_timer_t* t);
  static void quiet_closed_cb(uv_handle_t* h);

  union {
    uv_handle_t handle;
    uv_stream_t stream;
    uv_tcp_t tcp;
    uv_pipe_t pipe;
  } h_;
  Kind kind_;
  bool reading_ = false;
  bool read_wanted_ = false;  // start_reading was called
  bool eof_ = false;
  bool closing_ = false;         // close() or abort() was called
  bool handle_closing_ = false;  // uv_close was called
  bool closed_ = false;          // the close callback ran
  int read_err_ = 0;
  int write_err_ = 0;

  // Reader: the unread bytes are rbuf_[rpos_..].
  std::string rbuf_;
  size_t rpos_ = 0;
  size_t limit_;
  Op op_ = Op::None;
  bool op_line_ = false;  // readline: a partial line at EOF is a result
  size_t op_n_ = 0;
  std::string sep_;
  size_t scanned_ = 0;  // bytes after rpos_ already searched for sep_
  LuaRef op_fut_;
  Future* op_future_ = nullptr;  // the same future (its state is plain C++ data)

  // Writer: wdata_ is in the libuv write in flight, wpending_ waits for it.
  uv_write_t wreq_;
  uv_shutdown_t sreq_;
  std::string wdata_;
  std::string wpending_;
  bool writing_ = false;
  bool parked_ = false;  // the write in flight waits for the peer
  bool paused_ = false;  // above the high-water mark: drain() waits
  bool want_shutdown_ = false;
  bool shutting_down_ = false;
  std::vector<LuaRef> drain_waiters_;
  std::vector<LuaRef> closed_waiters_;
  LuaRef done_fut_;  // what drain() returns when it need not wait

  StreamFilter* filter_ = nullptr;
  bool filter_error_ = false;  // read_err_/write_err_ come from the filter
  // hold_clock_for_peer: the real-time timer (allocated on first use), and
  // whether the clock is held.
  uv_timer_t* quiet_ = nullptr;
  bool clock_held_ = false;
  bool peer_wanted_ = false;

 public:
  ~Stream() override;
};

// Lua userdata of a reader or writer. The magic word makes the type check
// on every method call cheap (see check_reader in stream.cpp).
inline constexpr uint32_t kReaderMagic = 0x52656164u;  // "Read"
inline constexpr uint32_t kWriterMagic = 0x57726974u;  // "Writ"
struct StreamBox {
  uint32_t magic;
  Stream* s;
};

// Creates the StreamReader and StreamWriter metatables.
void open_stream_types(lua_State* L);

// Tells the server that accepted a stream that it has closed (tcp.cpp).
void server_connection_closed(Server* srv);

}  // namespace luasync
