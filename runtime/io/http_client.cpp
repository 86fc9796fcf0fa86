// http_client.cpp: see http_client.h.
//
// Objects:
//   Session  - one CURLM, its uv timers and socket polls. Owned by a userdata
//              (asyncio._http.Session); freed once its libuv handles closed.
//   Transfer - one request (a CURL easy handle) and its response as it
//              arrives: the head (status, headers), then the body into a
//              buffer that Lua drains with read(). Owned by a userdata
//              (asyncio._http.Transfer); aborted when collected.
//
// Lua asks a transfer for its state (`head`, `read`) and gets either the
// answer or a future to wait on; every change of state wakes that future, and
// Lua asks again (runtime/io/lua/modules/http.lua). So waking is level-based and
// a missed or doubled wakeup cannot lose data.
//
// Back-pressure: when more than kHighWater bytes are buffered and unread, the
// write callback pauses the transfer (CURL_WRITEFUNC_PAUSE); reading below
// kLowWater resumes it. A response read to the end at once (`text()`) lifts
// the limit.
#include "http_client.h"

#include <curl/curl.h>
#include <uv.h>

#include <cctype>
#include <cmath>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "future.h"
#include "http_common.h"
#include "http_server.h"
#include "io.h"
#include "loop.h"
#include "lua_ref.h"
#include "trampoline.h"

namespace luasync {

namespace {

using httpd::data_id;
using httpd::id_data;
using httpd::IdMap;
using httpd::live_loop;
using httpd::main_ref;

constexpr const char* kSessionMT = "asyncio._http.Session";
constexpr const char* kTransferMT = "asyncio._http.Transfer";

constexpr size_t kHighWater = 1 << 20;
constexpr size_t kLowWater = kHighWater / 4;

class Session;
struct Transfer;

thread_local IdMap<Transfer> g_transfers;

// ---------------------------------------------------------------- Transfer

struct Transfer {
  uint64_t id = 0;
  Session* session = nullptr;  // null once detached (session closed)
  Loop* loop = nullptr;        // valid while the session is attached
  CURL* easy = nullptr;
  curl_slist* req_headers = nullptr;
  LuaRef body;  // the request body string, kept alive for curl
  std::string method, url;
  char errbuf[CURL_ERROR_SIZE] = {0};
  bool in_multi = false;
  bool has_socket = false;  // curl has registered a socket for it
  bool local = false;       // to a server of this process over loopback (is_local_target)
  long max_redirects = 10;

  // The response head: headers of the current block until the final one.
  bool head_ready = false;
  long status = 0;
  std::string reason, version, final_url;
  std::vector<std::pair<std::string, std::string>> headers;
  bool block_has_location = false;

  // The body: unread bytes are buf[head..].
  std::string buf;
  size_t head = 0;
  bool paused = false;
  bool read_all = false;

  // The end: finished with err_code empty (success) or set (failure).
  bool finished = false;
  std::string err_code, err_msg;
  uint64_t timer_id = 0;
  double timeout = 0;

  // The Lua side waiting for the next change, if any.
  LuaRef waiter;
  bool waiting = false;
  bool notify_scheduled = false;

  size_t buffered() const { return buf.size() - head; }
  void notify();
  void mark_head_ready();
  void complete(CURLcode rc);
  void fail(const char* code, const std::string& msg);
  void detach();
  void cancel_timer();
  void resume_if_drained();
};

// Is `url` served by this process: a loopback host and a port one of its
// servers listens on? Such a transfer waits on this loop's own tasks (the
// handler), never on the outside world.
// Every connection curl opens (redirects included) goes through here, so
// the lesson sandbox's socket check sees its address (io.h, IoPolicy).
static curl_socket_t open_socket(void*, curlsocktype, struct curl_sockaddr* a) {
  if (!net_allowed(&a->addr, false)) return CURL_SOCKET_BAD;
  return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

bool is_local_target(const std::string& url) {
  CURLU* u = curl_url();
  if (!u) return false;
  bool local = false;
  char* host = nullptr;
  char* port = nullptr;
  if (curl_url_set(u, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK &&
      curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
      curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK) {
    std::string h = host;
    bool loopback = h == "localhost" || h == "[::1]" || h.rfind("127.", 0) == 0;
    local = loopback && is_local_listener(std::atoi(port));
  }
  curl_free(host);
  curl_free(port);
  curl_url_cleanup(u);
  return local;
}

// ---------------------------------------------------------------- Session

// Real milliseconds of quiet after which a transfer to a server of this
// process lets the virtual clock go (Session::on_activity): none, that is,
// as soon as one turn of the loop passes without activity on it.
constexpr uint64_t kLocalGraceMs = 0;

struct SocketPoll {
  uv_poll_t poll;
  curl_socket_t fd;
  Session* session;
  int events;  // what curl asked us to watch
};

class Session {
 public:
  uint64_t loop_id = 0;
  Loop* loop = nullptr;
  CURLM* multi = nullptr;
  uv_timer_t curl_timer;  // curl's own deadlines (real time)
  uv_timer_t idle_timer;  // virtual clock: lets go of the hold after quiet I/O
  bool virtual_clock = false;
  bool held = false;
  bool closed = false;
  int open_handles = 0;  // libuv handles whose close callback is pending
  uint64_t grace_ms = 50;
  std::unordered_set<Transfer*> transfers;  // attached transfers
  std::unordered_set<SocketPoll*> polls;
  int running = 0;  // transfers in the multi handle
  uint64_t requests = 0;

  void start(Transfer* t);
  void on_activity();
  bool all_paused() const;
  void release_hold();
  void after_change();
  void check_done();
  void close(lua_State* L);
  void handle_closed();
  Session** slot = nullptr;  // the userdata's pointer, cleared when closed
  uint64_t hook_id = 0;      // the loop's close hook
};

// Closes a libuv handle owned by the session; the session is freed when the
// last one has closed.
void session_handle_closed(uv_handle_t* h) { static_cast<Session*>(h->data)->handle_closed(); }

void Session::handle_closed() {
  if (--open_handles == 0 && closed) delete this;
}

void Session::release_hold() {
  if (held) {
    loop->release_clock();
    held = false;
  }
  if (virtual_clock && !closed) uv_timer_stop(&idle_timer);
}

// Is some transfer still setting up its connection (name lookup, connect)?
// Those wait on real I/O even if their sockets are quiet for a while.
bool connecting(Session* s) {
  for (Transfer* t : s->transfers) {
    if (!t->in_multi || t->paused || !t->has_socket) continue;
    curl_off_t pre = 0;
    if (curl_easy_getinfo(t->easy, CURLINFO_PRETRANSFER_TIME_T, &pre) == CURLE_OK && pre == 0) return true;
  }
  return false;
}

void on_idle(uv_timer_t* timer) {
  auto* s = static_cast<Session*>(timer->data);
  if (s->running > 0 && connecting(s)) {
    uv_timer_start(&s->idle_timer, on_idle, s->grace_ms, 0);
    return;
  }
  s->release_hold();
}

// Are all transfers in flight paused (waiting for Lua to read)? Then no
// real I/O can make progress by itself.
bool Session::all_paused() const {
  for (Transfer* t : transfers)
    if (t->in_multi && !t->paused) return false;
  return true;
}

// Real I/O happened: hold the virtual clock for another grace period. A
// transfer to a server of this process needs none: on loopback each step
// of the exchange is ready as soon as the previous one is done, so a turn
// of the loop without activity means it waits on a task of this loop (the
// handler sleeping, say), and a jump of the virtual clock costs no real
// time instead of the whole grace. (While it is still connecting, on_idle
// keeps the full grace.)
void Session::on_activity() {
  if (!virtual_clock || closed || running == 0) return;
  bool active = false, remote = false;
  for (Transfer* t : transfers) {
    if (!t->in_multi || t->paused) continue;
    active = true;
    remote = remote || !t->local;
  }
  if (!active) {
    release_hold();
    return;
  }
  if (!held) {
    loop->hold_clock();
    held = true;
  }
  uv_timer_start(&idle_timer, on_idle, remote ? grace_ms : kLocalGraceMs, 0);
}

void Session::after_change() {
  if (running == 0) release_hold();
}

void Session::check_done() {
  CURLMsg* m;
  int left;
  while ((m = curl_multi_info_read(multi, &left))) {
    if (m->msg != CURLMSG_DONE) continue;
    Transfer* t = nullptr;
    curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, reinterpret_cast<char**>(&t));
    if (!t) continue;
    t->complete(m->data.result);
    t->detach();
    t->notify();
  }
  after_change();
}

void on_curl_timer(uv_timer_t* timer) {
  auto* s = static_cast<Session*>(timer->data);
  int running;
  curl_multi_socket_action(s->multi, CURL_SOCKET_TIMEOUT, 0, &running);
  s->on_activity();
  s->check_done();
}

// CURLMOPT_TIMERFUNCTION: curl wants socket_action(TIMEOUT) in timeout_ms.
int curl_timer_cb(CURLM*, long timeout_ms, void* userp) {
  auto* s = static_cast<Session*>(userp);
  if (s->closed) return 0;
  if (timeout_ms < 0)
    uv_timer_stop(&s->curl_timer);
  else
    uv_timer_start(&s->curl_timer, on_curl_timer, static_cast<uint64_t>(timeout_ms), 0);
  return 0;
}

void on_poll(uv_poll_t* poll, int status, int events) {
  auto* p = static_cast<SocketPoll*>(poll->data);
  Session* s = p->session;
  int flags = 0;
  if (status < 0) {
    // libuv reports a socket error (and stops watching): let curl read or
    // write, so that it finds the error itself (and reads a response that
    // arrived before a reset), then watch again if curl still wants to.
    flags = CURL_CSELECT_IN | CURL_CSELECT_OUT;
  } else {
    if (events & UV_READABLE) flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE) flags |= CURL_CSELECT_OUT;
  }
  int running;
  curl_multi_socket_action(s->multi, p->fd, flags, &running);  // may close p
  if (status < 0 && !uv_is_closing(reinterpret_cast<uv_handle_t*>(poll)) && !uv_is_active(reinterpret_cast<uv_handle_t*>(poll)))
    uv_poll_start(poll, p->events, on_poll);
  s->on_activity();
  s->check_done();
}

void poll_closed(uv_handle_t* h) {
  auto* p = static_cast<SocketPoll*>(h->data);
  Session* s = p->session;
  delete p;
  s->handle_closed();
}

// CURLMOPT_SOCKETFUNCTION: watch socket s for `what`.
int curl_socket_cb(CURL* easy, curl_socket_t fd, int what, void* userp, void* socketp) {
  auto* s = static_cast<Session*>(userp);
  auto* p = static_cast<SocketPoll*>(socketp);
  if (what == CURL_POLL_REMOVE) {
    if (p) {
      curl_multi_assign(s->multi, fd, nullptr);
      s->polls.erase(p);
      uv_poll_stop(&p->poll);
      uv_close(reinterpret_cast<uv_handle_t*>(&p->poll), poll_closed);
    }
    return 0;
  }
  if (s->closed) return 0;
  Transfer* t = nullptr;
  curl_easy_getinfo(easy, CURLINFO_PRIVATE, reinterpret_cast<char**>(&t));
  if (t) t->has_socket = true;
  if (!p) {
    p = new SocketPoll();
    p->fd = fd;
    p->session = s;
    if (uv_poll_init_socket(s->loop->uv(), &p->poll, fd) != 0) {
      delete p;
      return -1;
    }
    p->poll.data = p;
    s->open_handles++;
    s->polls.insert(p);
    curl_multi_assign(s->multi, fd, p);
  }
  int events = 0;
  if (what & CURL_POLL_IN) events |= UV_READABLE;
  if (what & CURL_POLL_OUT) events |= UV_WRITABLE;
  p->events = events;
  uv_poll_start(&p->poll, events, on_poll);
  return 0;
}

void Session::start(Transfer* t) {
  transfers.insert(t);
  t->session = this;
  t->loop = loop;
  curl_multi_add_handle(multi, t->easy);
  t->in_multi = true;
  running++;
  requests++;
  on_activity();
}

// Closes the session: aborts its transfers, closes its connections and
// libuv handles. Lua context.
void Session::close(lua_State* L) {
  if (closed) return;
  if (slot) *slot = nullptr;
  loop->remove_close_hook(hook_id);
  for (Transfer* t : std::vector<Transfer*>(transfers.begin(), transfers.end())) {
    if (!t->finished) t->fail("ECANCELED", "the session was closed during the request: " + t->url);
    t->detach();
    t->cancel_timer();
    t->session = nullptr;
    t->loop = nullptr;
    httpd::wake_future(L, t->waiter);
    t->waiting = false;
  }
  transfers.clear();
  release_hold();
  closed = true;
  curl_multi_cleanup(multi);  // closes cached connections (REMOVE callbacks)
  multi = nullptr;
  uv_timer_stop(&curl_timer);
  uv_close(reinterpret_cast<uv_handle_t*>(&curl_timer), session_handle_closed);
  uv_close(reinterpret_cast<uv_handle_t*>(&idle_timer), session_handle_closed);
  for (SocketPoll* p : std::vector<SocketPoll*>(polls.begin(), polls.end())) {
    if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&p->poll)))
      uv_close(reinterpret_cast<uv_handle_t*>(&p->poll), poll_closed);
  }
  polls.clear();
  if (open_handles == 0) delete this;
}

// ---------------------------------------------------------------- Transfer impl

void on_notify(lua_State* L, void* data) {
  Transfer* t = g_transfers.find(data_id(data));
  if (!t) return;
  t->notify_scheduled = false;
  if (t->waiting) {
    t->waiting = false;
    httpd::wake_future(L, t->waiter);
  }
}

// Something changed: wake the Lua side (later, from the ready queue).
void Transfer::notify() {
  if (!waiting || notify_scheduled || !loop) return;
  notify_scheduled = true;
  loop->schedule_native(on_notify, id_data(id));
}

void Transfer::mark_head_ready() {
  if (head_ready) return;
  head_ready = true;
  char* u = nullptr;
  if (curl_easy_getinfo(easy, CURLINFO_EFFECTIVE_URL, &u) == CURLE_OK && u) final_url = u;
  notify();
}

void Transfer::cancel_timer() {
  if (timer_id && loop) loop->cancel_native_timer(timer_id);
  timer_id = 0;
}

void Transfer::fail(const char* code, const std::string& msg) {
  if (finished) return;
  finished = true;
  err_code = code;
  err_msg = msg;
  cancel_timer();
}

// Removes the easy handle from the session's multi handle (which releases
// or closes its connection).
void Transfer::detach() {
  if (!in_multi || !session) return;
  in_multi = false;
  curl_multi_remove_handle(session->multi, easy);
  session->running--;
  session->after_change();
}

void Transfer::resume_if_drained() {
  if (paused && in_multi && buffered() < kLowWater) {
    paused = false;
    curl_easy_pause(easy, CURLPAUSE_CONT);  // may deliver data at once
    if (session) session->on_activity();
  }
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Maps a curl result onto an error code in the style of libuv's names and a
// message (without the URL, which is appended).
void Transfer::complete(CURLcode rc) {
  if (finished) return;
  if (rc == CURLE_OK) {
    mark_head_ready();
    finished = true;
    cancel_timer();
    return;
  }
  long oserr = 0;
  curl_easy_getinfo(easy, CURLINFO_OS_ERRNO, &oserr);
  std::string detail = errbuf[0] ? errbuf : curl_easy_strerror(rc);
  const char* code = "EIO";
  std::string msg;
  switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      code = "EAI_NONAME";
      msg = "could not resolve host";
      break;
    case CURLE_COULDNT_CONNECT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
      if (oserr > 0) {
        code = uv_err_name(-static_cast<int>(oserr));
        msg = uv_strerror(-static_cast<int>(oserr));
        if (std::strncmp(code, "Unknown", 7) == 0) code = "EIO";
      } else {
        code = rc == CURLE_COULDNT_CONNECT ? "ECONNREFUSED" : "ECONNRESET";
        msg = lower(detail);
      }
      break;
    case CURLE_GOT_NOTHING:
      code = "ECONNRESET";
      msg = "the server closed the connection without sending a response";
      break;
    case CURLE_PARTIAL_FILE:
      code = "EPROTO";
      msg = "the connection closed before the whole body arrived (" + detail + ")";
      break;
    case CURLE_OPERATION_TIMEDOUT:
      code = "ETIMEDOUT";
      msg = lower(detail);
      break;
    case CURLE_TOO_MANY_REDIRECTS:
      code = "ETOOMANYREDIRECTS";
      msg = "too many redirects (more than " + std::to_string(max_redirects) + ")";
      break;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      code = "EINVAL";
      msg = "invalid URL (" + detail + ")";
      break;
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_BAD_CONTENT_ENCODING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      code = "EPROTO";
      msg = "malformed response (" + detail + ")";
      break;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
      code = "ESSL";
      msg = detail;
      break;
    default:
      msg = detail;
  }
  fail(code, msg + ": " + url);
}

// ---------------------------------------------------------------- curl callbacks

size_t on_header(char* b, size_t size, size_t n, void* ud) {
  auto* t = static_cast<Transfer*>(ud);
  size_t len = size * n;
  if (t->head_ready) return len;  // trailers
  std::string_view line(b, len);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.substr(0, 5) == "HTTP/") {
    // A new block (after a redirect or a 1xx): "HTTP/1.1 200 OK".
    t->headers.clear();
    t->block_has_location = false;
    size_t sp = line.find(' ');
    t->version = std::string(line.substr(5, sp == std::string_view::npos ? std::string_view::npos : sp - 5));
    t->status = 0;
    t->reason.clear();
    if (sp != std::string_view::npos) {
      std::string_view rest = line.substr(sp + 1);
      size_t sp2 = rest.find(' ');
      t->status = std::strtol(std::string(rest.substr(0, sp2)).c_str(), nullptr, 10);
      if (sp2 != std::string_view::npos) t->reason = std::string(rest.substr(sp2 + 1));
    }
    return len;
  }
  if (line.empty()) {
    // The end of a block. Interim (1xx) and followed redirects are skipped.
    long st = t->status;
    if (st >= 100 && st < 200) return len;
    bool redirect = st == 301 || st == 302 || st == 303 || st == 307 || st == 308;
    if (redirect && t->block_has_location && t->max_redirects > 0) return len;
    t->mark_head_ready();
    return len;
  }
  if ((line[0] == ' ' || line[0] == '\t') && !t->headers.empty()) {  // obsolete folding
    t->headers.back().second += ' ';
    t->headers.back().second += std::string(line.substr(line.find_first_not_of(" \t")));
    return len;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return len;
  std::string name = lower(std::string(line.substr(0, colon)));
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (name == "location") t->block_has_location = true;
  t->headers.emplace_back(std::move(name), std::string(value));
  return len;
}

size_t on_write(char* p, size_t size, size_t n, void* ud) {
  auto* t = static_cast<Transfer*>(ud);
  size_t len = size * n;
  if (!t->head_ready) t->mark_head_ready();
  if (!t->read_all && t->buffered() >= kHighWater) {
    t->paused = true;
    if (t->session && t->session->all_paused()) t->session->release_hold();
    return CURL_WRITEFUNC_PAUSE;
  }
  if (t->head > 0 && t->head >= t->buf.size() / 2) {  // compact
    t->buf.erase(0, t->head);
    t->head = 0;
  }
  t->buf.append(p, len);
  t->notify();
  return len;
}

// ---------------------------------------------------------------- Lua: Session

Session** check_session_slot(lua_State* L) {
  return static_cast<Session**>(luaL_checkudata(L, 1, kSessionMT));
}

Session* check_open_session(lua_State* L) {
  Session* s = *check_session_slot(L);
  if (!s) luaL_error(L, "attempt to use a closed ClientSession");
  if (!live_loop(L, s->loop_id))
    luaL_error(L, "this ClientSession belongs to an event loop that is no longer running "
                  "(create the session inside the asyncio.run that uses it)");
  return s;
}

long opt_long(lua_State* L, int idx, const char* key, long dflt) {
  if (lua_isnoneornil(L, idx)) return dflt;
  lua_getfield(L, idx, key);
  long v = dflt;
  if (!lua_isnil(L, -1)) {
    if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 0)
      luaL_error(L, "bad option '%s' to 'ClientSession' (non-negative integer expected, got %s)", key,
                 luaL_typename(L, -1));
    v = static_cast<long>(lua_tointeger(L, -1));
  }
  lua_pop(L, 1);
  return v;
}

void global_init() {
  static bool done = false;
  if (!done) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    done = true;
  }
}

// The loop is closing with the session still open: close it now (its
// handles close while the loop finishes closing).
void session_loop_closing(lua_State* L, void* data) { static_cast<Session*>(data)->close(L); }

// _http.session([opts]) -> native session. opts: max_connections (total,
// default 100), max_connections_per_host (default 0: no limit).
int l_session_new(lua_State* L) {
  Loop* loop = runtime(L)->loop;
  if (!loop) luaL_error(L, "ClientSession: no running event loop (create it inside asyncio.run)");
  if (!lua_isnoneornil(L, 1)) luaL_checktype(L, 1, LUA_TTABLE);
  long max_total = opt_long(L, 1, "max_connections", 100);
  long max_host = opt_long(L, 1, "max_connections_per_host", 0);
  global_init();
  auto** slot = static_cast<Session**>(lua_newuserdatauv(L, sizeof(Session*), 0));
  *slot = nullptr;
  luaL_setmetatable(L, kSessionMT);
  auto* s = new Session();
  s->loop = loop;
  s->loop_id = loop->id();
  s->virtual_clock = loop->clock().is_virtual();
  s->grace_ms = static_cast<uint64_t>(std::ceil(loop->options().autojump_grace * 1000.0));
  if (s->grace_ms == 0) s->grace_ms = 1;
  s->multi = curl_multi_init();
  if (!s->multi) {
    delete s;
    luaL_error(L, "ClientSession: curl_multi_init failed");
  }
  uv_timer_init(loop->uv(), &s->curl_timer);
  uv_timer_init(loop->uv(), &s->idle_timer);
  s->curl_timer.data = s;
  s->idle_timer.data = s;
  s->open_handles = 2;
  curl_multi_setopt(s->multi, CURLMOPT_SOCKETFUNCTION, curl_socket_cb);
  curl_multi_setopt(s->multi, CURLMOPT_SOCKETDATA, s);
  curl_multi_setopt(s->multi, CURLMOPT_TIMERFUNCTION, curl_timer_cb);
  curl_multi_setopt(s->multi, CURLMOPT_TIMERDATA, s);
  curl_multi_setopt(s->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, max_total);
  curl_multi_setopt(s->multi, CURLMOPT_MAX_HOST_CONNECTIONS, max_host);
  curl_multi_setopt(s->multi, CURLMOPT_MAXCONNECTS, max_total > 0 ? max_total : 100L);
  s->slot = slot;
  s->hook_id = loop->add_close_hook(session_loop_closing, s);
  *slot = s;
  return 1;
}

void session_close(lua_State* L, Session** slot) {
  Session* s = *slot;
  if (!s) return;
  // An open session's loop is live: its close hook closes it otherwise.
  s->close(L);
}

int l_session_close(lua_State* L) {
  session_close(L, check_session_slot(L));
  return 0;
}

int l_session_gc(lua_State* L) {
  session_close(L, static_cast<Session**>(luaL_checkudata(L, 1, kSessionMT)));
  return 0;
}

int l_session_closed(lua_State* L) {
  lua_pushboolean(L, *check_session_slot(L) == nullptr);
  return 1;
}

// session:stats() -> {requests=, active=, sockets=}
int l_session_stats(lua_State* L) {
  Session* s = *check_session_slot(L);
  lua_createtable(L, 0, 3);
  lua_pushinteger(L, s ? static_cast<lua_Integer>(s->requests) : 0);
  lua_setfield(L, -2, "requests");
  lua_pushinteger(L, s ? s->running : 0);
  lua_setfield(L, -2, "active");
  lua_pushinteger(L, s ? static_cast<lua_Integer>(s->polls.size()) : 0);
  lua_setfield(L, -2, "sockets");
  return 1;
}

Transfer* to_transfer(lua_State* L, int idx) {
  auto** slot = static_cast<Transfer**>(luaL_checkudata(L, idx, kTransferMT));
  if (!*slot) luaL_error(L, "attempt to use a released response");
  return *slot;
}

void on_timeout(lua_State* L, void* data) {
  Transfer* t = g_transfers.find(data_id(data));
  if (!t) return;
  t->timer_id = 0;
  if (t->finished) return;
  char secs[32];
  std::snprintf(secs, sizeof secs, "%g", t->timeout);
  t->fail("TIMEOUT", std::string("request timed out after ") + secs + " s: " + t->method + " " + t->url);
  t->detach();
  t->waiting = false;
  httpd::wake_future(L, t->waiter);
}

// session:request(method, url, header_lines, body, timeout, max_redirects, tls) -> transfer
//   header_lines: array of "Name: value"; body: string or nil; timeout:
//   seconds on the loop clock (nil or 0: none); max_redirects: 0 = don't follow.
int l_session_request(lua_State* L) {
  Session* s = check_open_session(L);
  const char* method = luaL_checkstring(L, 2);
  size_t url_len;
  const char* url = luaL_checklstring(L, 3, &url_len);
  if (!lua_isnoneornil(L, 4)) luaL_checktype(L, 4, LUA_TTABLE);
  if (!lua_isnoneornil(L, 5)) luaL_checktype(L, 5, LUA_TSTRING);
  double timeout = luaL_optnumber(L, 6, 0);
  long max_redirects = static_cast<long>(luaL_optinteger(L, 7, 10));
  // TLS: {cafile =, capath =, certfile =, keyfile =, verify =, check_hostname =}
  // (strings stay anchored by the table at 8).
  const char* cafile = nullptr;
  const char* capath = nullptr;
  const char* certfile = nullptr;
  const char* keyfile = nullptr;
  bool verify = true, check_hostname = true;
  if (lua_istable(L, 8)) {
    auto str = [L](const char* k) {
      lua_getfield(L, 8, k);
      const char* v = lua_tostring(L, -1);
      lua_pop(L, 1);
      return v;
    };
    auto flag = [L](const char* k) {
      lua_getfield(L, 8, k);
      bool v = lua_type(L, -1) != LUA_TBOOLEAN || lua_toboolean(L, -1);
      lua_pop(L, 1);
      return v;
    };
    cafile = str("cafile");
    capath = str("capath");
    certfile = str("certfile");
    keyfile = str("keyfile");
    verify = flag("verify");
    check_hostname = flag("check_hostname");
  }

  // Validate the URL now, so that a typo raises here rather than at await.
  // (No C++ object lives across these raises: the loadable module's Lua
  // raises with longjmp.)
  CURLU* cu = curl_url();
  CURLUcode uc = curl_url_set(cu, CURLUPART_URL, url, 0);
  char* scheme = nullptr;
  if (uc == CURLUE_OK) curl_url_get(cu, CURLUPART_SCHEME, &scheme, 0);
  bool http_scheme = scheme && (std::strcmp(scheme, "http") == 0 || std::strcmp(scheme, "https") == 0);
  curl_free(scheme);
  curl_url_cleanup(cu);
  if (uc != CURLUE_OK) luaL_error(L, "invalid URL '%s' (%s)", url, curl_url_strerror(uc));
  if (!http_scheme) luaL_error(L, "unsupported URL scheme in '%s' (http or https expected)", url);

  auto** slot = static_cast<Transfer**>(lua_newuserdatauv(L, sizeof(Transfer*), 0));
  *slot = nullptr;
  luaL_setmetatable(L, kTransferMT);
  auto* t = new Transfer();
  *slot = t;
  t->id = g_transfers.add(t);
  t->method = method;
  t->url.assign(url, url_len);
  t->local = is_local_target(t->url);
  t->timeout = timeout;
  t->max_redirects = max_redirects;
  t->easy = curl_easy_init();
  if (!t->easy) luaL_error(L, "curl_easy_init failed");
  CURL* e = t->easy;
  curl_easy_setopt(e, CURLOPT_URL, t->url.c_str());
  curl_easy_setopt(e, CURLOPT_PRIVATE, t);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->errbuf);
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, t);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, max_redirects > 0 ? 1L : 0L);
  curl_easy_setopt(e, CURLOPT_MAXREDIRS, max_redirects);
  curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");  // all that curl can decode
  curl_easy_setopt(e, CURLOPT_USERAGENT, "luasync/" LUASYNC_VERSION);
  curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
  if (cafile) curl_easy_setopt(e, CURLOPT_CAINFO, cafile);
  if (capath) curl_easy_setopt(e, CURLOPT_CAPATH, capath);
  if (certfile) {
    curl_easy_setopt(e, CURLOPT_SSLCERT, certfile);
    curl_easy_setopt(e, CURLOPT_SSLCERTTYPE, "PEM");
    curl_easy_setopt(e, CURLOPT_SSLKEY, keyfile ? keyfile : certfile);
  }
  if (!verify) curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
  if (!verify || !check_hostname) curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
  curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, open_socket);

  bool has_body = lua_type(L, 5) == LUA_TSTRING;
  size_t body_len = 0;
  const char* body = has_body ? lua_tolstring(L, 5, &body_len) : nullptr;
  if (has_body) t->body = main_ref(L, 5);
  // (No C++ object lives from here on: luaL_len below may raise, from a
  // __len of the header table.)
  bool post = std::strcmp(method, "POST") == 0;
  if (std::strcmp(method, "GET") == 0 && !has_body) {
    curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
  } else if (std::strcmp(method, "HEAD") == 0) {
    curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
  } else {
    if (post || has_body) {
      curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body_len));
      curl_easy_setopt(e, CURLOPT_POSTFIELDS, has_body ? body : "");
    }
    if (!post) curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
  }

  // Headers: the caller's, plus "Expect:" (no 100-continue round trip). The
  // list belongs to the transfer as it grows (freed with it on an error).
  if (lua_istable(L, 4)) {
    lua_Integer n = luaL_len(L, 4);
    for (lua_Integer i = 1; i <= n; i++) {
      lua_rawgeti(L, 4, i);
      const char* h = lua_tostring(L, -1);
      if (h) {
        curl_slist* nl = curl_slist_append(t->req_headers, h);
        if (nl) t->req_headers = nl;
      }
      lua_pop(L, 1);
    }
  }
  curl_slist* nl = curl_slist_append(t->req_headers, "Expect:");
  if (nl) t->req_headers = nl;
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->req_headers);

  if (timeout > 0) t->timer_id = s->loop->add_native_timer(s->loop->time() + timeout, on_timeout, id_data(t->id));
  s->start(t);
  return 1;
}

// ---------------------------------------------------------------- Lua: Transfer

// Pushes a new future, makes it the transfer's waiter, returns "wait", fut.
int push_wait(lua_State* L, Transfer* t) {
  if (t->waiting && t->waiter) {
    t->waiter.push(L);
    Future* f = to_future(L, -1);
    bool busy = f && !f->done();
    lua_pop(L, 1);
    if (busy) luaL_error(L, "another task is already waiting on this response (read it from one task at a time)");
  }
  lua_pushliteral(L, "wait");
  push_new_future(L);
  future_set_label(L, -1, "http response");  // named in timelines
  t->waiter = main_ref(L, -1);
  t->waiting = true;
  return 2;
}

int push_error_result(lua_State* L, Transfer* t) {
  lua_pushliteral(L, "error");
  lua_pushstring(L, t->err_code.c_str());
  lua_pushstring(L, t->err_msg.c_str());
  return 3;
}

// transfer:head() -> "ok", status, reason, headers, url, version
//                  | "wait", future | "error", code, message
int l_transfer_head(lua_State* L) {
  Transfer* t = to_transfer(L, 1);
  if (!t->head_ready) {
    if (t->finished && !t->err_code.empty()) return push_error_result(L, t);
    if (!t->finished) return push_wait(L, t);
    t->head_ready = true;
  }
  lua_pushliteral(L, "ok");
  lua_pushinteger(L, t->status);
  lua_pushstring(L, t->reason.c_str());
  lua_createtable(L, 0, static_cast<int>(t->headers.size()));
  for (auto& [name, value] : t->headers) {
    lua_getfield(L, -1, name.c_str());
    if (lua_isnil(L, -1)) {
      lua_pop(L, 1);
      lua_pushlstring(L, value.data(), value.size());
    } else {  // repeated header: join with ", "
      lua_pushliteral(L, ", ");
      lua_pushlstring(L, value.data(), value.size());
      lua_concat(L, 3);
    }
    lua_setfield(L, -2, name.c_str());
  }
  lua_pushstring(L, t->final_url.empty() ? t->url.c_str() : t->final_url.c_str());
  lua_pushstring(L, t->version.c_str());
  return 6;
}

// transfer:read(n) -> "data", s | "eof" | "wait", future | "error", code, message
//   n < 0: the whole rest of the body once it has arrived.
int l_transfer_read(lua_State* L) {
  Transfer* t = to_transfer(L, 1);
  lua_Integer n = luaL_checkinteger(L, 2);
  if (n < 0) {
    if (!t->read_all) {
      t->read_all = true;
      if (t->paused && t->in_multi) {
        t->paused = false;
        curl_easy_pause(t->easy, CURLPAUSE_CONT);
        if (t->session) t->session->on_activity();
      }
    }
    if (!t->finished) return push_wait(L, t);
    if (!t->err_code.empty()) return push_error_result(L, t);
    lua_pushliteral(L, "data");
    lua_pushlstring(L, t->buf.data() + t->head, t->buffered());
    t->buf.clear();
    t->buf.shrink_to_fit();
    t->head = 0;
    return 2;
  }
  if (n == 0) n = 1;
  size_t avail = t->buffered();
  if (avail > 0) {
    size_t take = std::min(avail, static_cast<size_t>(n));
    lua_pushliteral(L, "data");
    lua_pushlstring(L, t->buf.data() + t->head, take);
    t->head += take;
    if (t->head == t->buf.size()) {
      t->buf.clear();
      t->head = 0;
    }
    t->resume_if_drained();
    return 2;
  }
  if (t->finished) {
    if (!t->err_code.empty()) return push_error_result(L, t);
    lua_pushliteral(L, "eof");
    return 1;
  }
  return push_wait(L, t);
}

// transfer:abort([code, message]): stops the transfer (its connection is
// closed); later reads fail with the error given (default: ECANCELED).
int l_transfer_abort(lua_State* L) {
  auto** slot = static_cast<Transfer**>(luaL_checkudata(L, 1, kTransferMT));
  Transfer* t = *slot;
  if (!t) return 0;
  const char* code = luaL_optstring(L, 2, "ECANCELED");
  const char* msg = luaL_optstring(L, 3, "the request was cancelled");
  if (!t->finished) {
    t->fail(code, std::string(msg) + ": " + t->url);
    t->buf.clear();
    t->head = 0;
  }
  t->detach();
  t->waiting = false;
  httpd::wake_future(L, t->waiter);
  return 0;
}

// transfer:finished() -> whether the whole response has arrived (or failed)
int l_transfer_finished(lua_State* L) {
  lua_pushboolean(L, to_transfer(L, 1)->finished);
  return 1;
}

void transfer_free(lua_State* L, Transfer* t) {
  if (t->session) {
    if (live_loop(L, t->session->loop_id)) {
      t->detach();
      t->cancel_timer();
    }
    t->session->transfers.erase(t);
    t->session = nullptr;
  }
  g_transfers.remove(t->id);
  if (t->easy) curl_easy_cleanup(t->easy);
  if (t->req_headers) curl_slist_free_all(t->req_headers);
  delete t;
}

int l_transfer_gc(lua_State* L) {
  auto** slot = static_cast<Transfer**>(luaL_checkudata(L, 1, kTransferMT));
  if (*slot) transfer_free(L, *slot);
  *slot = nullptr;
  return 0;
}

}  // namespace

void open_http_client(lua_State* L) {
  static const Reg session_methods[] = {
      {"request", fn<l_session_request>},
      {"close", fn<l_session_close>},
      {"closed", fn<l_session_closed>},
      {"stats", fn<l_session_stats>},
      {nullptr, nullptr},
  };
  static const Reg transfer_methods[] = {
      {"head", fn<l_transfer_head>},
      {"read", fn<l_transfer_read>},
      {"abort", fn<l_transfer_abort>},
      {"finished", fn<l_transfer_finished>},
      {nullptr, nullptr},
  };
  httpd::register_metatable<l_session_gc>(L, kSessionMT, session_methods);
  httpd::register_metatable<l_transfer_gc>(L, kTransferMT, transfer_methods);
  push_fn<l_session_new>(L);
  lua_setfield(L, -2, "session");
}

}  // namespace luasync

// What preload_http_plugin (modules.h) runs after loading the plugin: the
// library-wide set-up of libcurl (and OpenSSL) and the server's default
// configuration, done once before forking.
extern "C" void luasync_http_global_init() {
  luasync::global_init();
  luasync::http_server_preload();
}

// require("asyncio._http"): the native primitives of asyncio.http.
extern "C" int luaopen_asyncio__http(lua_State* L) {
  lua_newtable(L);
  luasync::open_http_client(L);
  luasync::open_http_server(L);
  return 1;
}
