// ws.cpp: the websocket protocol (RFC 6455) on wslay, without I/O of its
// own (require("asyncio._ws"), in the network plugin). The Lua layer
// (runtime/io/lua/modules/http.lua) feeds it the bytes that arrive on the
// connection and writes out what it produces; it parses frames, answers
// pings and the closing handshake, and masks a client's frames. wslay's
// callbacks only move bytes between its context and this object's buffers:
// they never call Lua.
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <wslay/wslay.h>

#include <cstring>
#include <deque>
#include <string>

#include <lua.hpp>
#include "trampoline.h"

namespace {

constexpr const char* kCoreMT = "asyncio.http.WebSocketCore";

struct Msg {
  int opcode;
  std::string data;
  int status;  // close frames
};

struct Core {
  wslay_event_context_ptr ctx = nullptr;
  std::string in;
  size_t in_pos = 0;
  std::string out;
  std::deque<Msg> msgs;
  bool failed = false;
};

ssize_t recv_cb(wslay_event_context_ptr ctx, uint8_t* buf, size_t len, int, void* ud) {
  auto* c = static_cast<Core*>(ud);
  size_t avail = c->in.size() - c->in_pos;
  if (avail == 0) {
    wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
    return -1;
  }
  size_t n = avail < len ? avail : len;
  std::memcpy(buf, c->in.data() + c->in_pos, n);
  c->in_pos += n;
  return static_cast<ssize_t>(n);
}

ssize_t send_cb(wslay_event_context_ptr, const uint8_t* data, size_t len, int, void* ud) {
  static_cast<Core*>(ud)->out.append(reinterpret_cast<const char*>(data), len);
  return static_cast<ssize_t>(len);
}

int genmask_cb(wslay_event_context_ptr, uint8_t* buf, size_t len, void*) {
  return RAND_bytes(buf, static_cast<int>(len)) == 1 ? 0 : -1;
}

void on_msg(wslay_event_context_ptr, const wslay_event_on_msg_recv_arg* arg, void* ud) {
  auto* c = static_cast<Core*>(ud);
  Msg m;
  m.opcode = arg->opcode;
  size_t skip = (arg->opcode == WSLAY_CONNECTION_CLOSE && arg->msg_length >= 2) ? 2 : 0;  // the status code
  m.data.assign(reinterpret_cast<const char*>(arg->msg) + skip, arg->msg_length - skip);
  m.status = arg->status_code;
  c->msgs.push_back(std::move(m));
}

Core* check_core(lua_State* L) {
  auto* c = static_cast<Core*>(luaL_checkudata(L, 1, kCoreMT));
  if (!c->ctx) luaL_error(L, "attempt to use a freed websocket");
  return c;
}

// _ws.new(is_client, max_size) -> core
int l_new(lua_State* L) {
  bool client = lua_toboolean(L, 1);
  lua_Integer max_size = luaL_optinteger(L, 2, 1 << 20);
  void* mem = lua_newuserdatauv(L, sizeof(Core), 0);
  auto* c = new (mem) Core();
  luaL_setmetatable(L, kCoreMT);
  static const wslay_event_callbacks callbacks = {recv_cb, send_cb, genmask_cb, nullptr, nullptr, nullptr, on_msg};
  int r = client ? wslay_event_context_client_init(&c->ctx, &callbacks, c)
                 : wslay_event_context_server_init(&c->ctx, &callbacks, c);
  if (r != 0) return luaL_error(L, "wslay: cannot make a context");
  wslay_event_config_set_max_recv_msg_length(c->ctx, static_cast<uint64_t>(max_size));
  return 1;
}

int l_gc(lua_State* L) {
  auto* c = static_cast<Core*>(luaL_checkudata(L, 1, kCoreMT));
  if (c->ctx) wslay_event_context_free(c->ctx);
  c->ctx = nullptr;
  c->~Core();
  // Finalized (a script can call __gc by hand, twice): no metatable, so no
  // method takes it and Lua does not finalize it again.
  lua_pushnil(L);
  lua_setmetatable(L, 1);
  return 0;
}

// core:feed(bytes): parses what arrived (messages are then take()n).
// Returns false once the peer broke the protocol.
int l_feed(lua_State* L) {
  Core* c = check_core(L);
  size_t n;
  const char* p = luaL_checklstring(L, 2, &n);
  c->in.append(p, n);
  if (!c->failed && wslay_event_recv(c->ctx) != 0) c->failed = true;
  c->in.erase(0, c->in_pos);
  c->in_pos = 0;
  lua_pushboolean(L, !c->failed);
  return 1;
}

// core:take() -> kind, data [, status] for the next message, or nothing.
// kind: "text", "binary", "close", "ping", "pong".
int l_take(lua_State* L) {
  Core* c = check_core(L);
  if (c->msgs.empty()) return 0;
  Msg& m = c->msgs.front();
  const char* kind = m.opcode == WSLAY_TEXT_FRAME     ? "text"
                     : m.opcode == WSLAY_BINARY_FRAME ? "binary"
                     : m.opcode == WSLAY_CONNECTION_CLOSE ? "close"
                     : m.opcode == WSLAY_PING         ? "ping"
                                                      : "pong";
  lua_pushstring(L, kind);
  lua_pushlstring(L, m.data.data(), m.data.size());
  lua_pushinteger(L, m.status);
  c->msgs.pop_front();
  return 3;
}

// core:queue(kind, data): kind "text", "binary", "ping"; false if the
// websocket is closing.
int l_queue(lua_State* L) {
  Core* c = check_core(L);
  const char* kind = luaL_checkstring(L, 2);
  size_t n;
  const char* p = luaL_optlstring(L, 3, "", &n);
  uint8_t op = std::strcmp(kind, "text") == 0 ? WSLAY_TEXT_FRAME
               : std::strcmp(kind, "ping") == 0 ? WSLAY_PING
                                                : WSLAY_BINARY_FRAME;
  wslay_event_msg msg = {op, reinterpret_cast<const uint8_t*>(p), n};
  lua_pushboolean(L, wslay_event_queue_msg(c->ctx, &msg) == 0);
  return 1;
}

// core:close(code, reason): queues the close frame.
int l_close(lua_State* L) {
  Core* c = check_core(L);
  auto code = static_cast<uint16_t>(luaL_optinteger(L, 2, 1000));
  size_t n;
  const char* reason = luaL_optlstring(L, 3, "", &n);
  lua_pushboolean(L, wslay_event_queue_close(c->ctx, code, reinterpret_cast<const uint8_t*>(reason), n) == 0);
  return 1;
}

// core:output() -> the bytes to write now ("" if none).
int l_output(lua_State* L) {
  Core* c = check_core(L);
  if (!c->failed && wslay_event_want_write(c->ctx)) wslay_event_send(c->ctx);
  lua_pushlstring(L, c->out.data(), c->out.size());
  c->out.clear();
  return 1;
}

// core:state() -> can_read, can_write, close_sent, close_received
int l_state(lua_State* L) {
  Core* c = check_core(L);
  lua_pushboolean(L, wslay_event_get_read_enabled(c->ctx));
  lua_pushboolean(L, wslay_event_get_write_enabled(c->ctx));
  lua_pushboolean(L, wslay_event_get_close_sent(c->ctx));
  lua_pushboolean(L, wslay_event_get_close_received(c->ctx));
  return 4;
}

// _ws.accept_key(client_key) -> base64(SHA-1(key .. GUID)) (RFC 6455 4.2.2)
int l_accept_key(lua_State* L) {
  size_t n;
  const char* key = luaL_checklstring(L, 1, &n);
  static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int dlen = 0;
  {
    char joined[256];
    if (n > sizeof joined - sizeof guid) return luaL_argerror(L, 1, "key too long");
    std::memcpy(joined, key, n);
    std::memcpy(joined + n, guid, sizeof guid - 1);
    EVP_Digest(joined, n + sizeof guid - 1, digest, &dlen, EVP_sha1(), nullptr);
  }
  unsigned char b64[64];
  int len = EVP_EncodeBlock(b64, digest, static_cast<int>(dlen));
  lua_pushlstring(L, reinterpret_cast<char*>(b64), static_cast<size_t>(len));
  return 1;
}

// _ws.new_key() -> a fresh Sec-WebSocket-Key (16 random bytes, base64)
int l_new_key(lua_State* L) {
  unsigned char raw[16], b64[32];
  if (RAND_bytes(raw, sizeof raw) != 1) return luaL_error(L, "RAND_bytes failed");
  int len = EVP_EncodeBlock(b64, raw, sizeof raw);
  lua_pushlstring(L, reinterpret_cast<char*>(b64), static_cast<size_t>(len));
  return 1;
}

}  // namespace

extern "C" int luaopen_asyncio__ws(lua_State* L) {
  using namespace luasync;
  static const Reg methods[] = {
      {"feed", fn<l_feed>},   {"take", fn<l_take>},     {"queue", fn<l_queue>}, {"close", fn<l_close>},
      {"output", fn<l_output>}, {"state", fn<l_state>}, {nullptr, nullptr},
  };
  if (luaL_newmetatable(L, kCoreMT)) {
    lua_newtable(L);
    set_funcs(L, methods, 0);
    lua_setfield(L, -2, "__index");
    push_fn<l_gc>(L);
    lua_setfield(L, -2, "__gc");
  }
  lua_pop(L, 1);
  lua_createtable(L, 0, 3);
  push_fn<l_new>(L);
  lua_setfield(L, -2, "new");
  push_fn<l_accept_key>(L);
  lua_setfield(L, -2, "accept_key");
  push_fn<l_new_key>(L);
  lua_setfield(L, -2, "new_key");
  return 1;
}
