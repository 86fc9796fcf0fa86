// tls.cpp: TLS on luasync's streams, with OpenSSL (require("asyncio._tls"),
// part of the network plugin, so that OpenSSL is loaded only by programs
// that use it).
//
// An SSL context (asyncio.ssl.create_context) is a userdata holding an
// SSL_CTX and how to verify peers. start_tls(writer, ctx, server_side,
// hostname) puts a TlsFilter between a connected Stream and its socket
// (stream.h, StreamFilter): OpenSSL works on two memory BIOs, bytes from the
// socket go into one, bytes for the socket come out of the other. Nothing
// here calls Lua from OpenSSL or libuv: the filter records the handshake's
// outcome and posts an event; the event resolves the handshake's future
// from the ready queue.
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "future.h"
#include "io.h"
#include "runtime.h"
#include "stream.h"
#include "tls.h"
#include "trampoline.h"

namespace luasync {

namespace {

constexpr const char* kContextMT = "asyncio.ssl.SSLContext";

struct CtxBox {
  SSL_CTX* ctx;
  bool verify;         // client side: verify the server's certificate
  bool check_hostname; // client side: ... and that it names the host
  bool verify_client;  // server side: require a verified client certificate
};

CtxBox* check_ctx(lua_State* L, int idx) { return static_cast<CtxBox*>(luaL_checkudata(L, idx, kContextMT)); }

// The first queued OpenSSL error as "LIB: REASON_NAME: reason" into buf;
// returns its reason name ("CERTIFICATE_VERIFY_FAILED"), or "" if none.
void describe_ssl_error(unsigned long code, char* buf, size_t size, char* name, size_t name_size) {
  const char* reason = code ? ERR_reason_error_string(code) : nullptr;
  const char* lib = code ? ERR_lib_error_string(code) : nullptr;
  if (!reason) reason = "unknown error";
  size_t i = 0;
  for (; reason[i] && i + 1 < name_size; i++) {
    char c = reason[i];
    name[i] = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : (c == ' ' ? '_' : c);
  }
  name[i] = '\0';
  std::snprintf(buf, size, "[%s: %s] %s", lib ? lib : "SSL", name, reason);
}

// ================================================================ the filter

class TlsFilter final : public StreamFilter {
 public:
  // established: the handshake was done elsewhere (adopt_server_tls).
  TlsFilter(SSL* ssl, bool server, bool established = false) : ssl_(ssl), server_(server), done_(established) {
    rbio_ = BIO_new(BIO_s_mem());
    wbio_ = BIO_new(BIO_s_mem());
    BIO_set_mem_eof_return(rbio_, -1);  // empty: "want more", not EOF
    SSL_set_bio(ssl_, rbio_, wbio_);
    if (established) return;
    if (server)
      SSL_set_accept_state(ssl_);
    else
      SSL_set_connect_state(ssl_);
  }
  ~TlsFilter() override { SSL_free(ssl_); }

  void set_waiter(LuaRef w) { waiter_ = std::move(w); }

  // Starts the handshake (a client sends its hello now).
  void start(Stream* s) {
    if (!failed_ && !done_ && !advance(s)) s->filter_event();
  }

  bool input(Stream* s, const char* p, size_t n) override {
    if (failed_) return false;
    if (BIO_write(rbio_, p, static_cast<int>(n)) != static_cast<int>(n)) return fail(s, SSL_ERROR_SSL);
    return advance(s);
  }

  void input_end(Stream* s, int err) override {
    if (done_ || failed_) return;
    std::snprintf(msg_, sizeof msg_, "[SSL: UNEXPECTED_EOF_WHILE_READING] %s during the TLS handshake",
                  err ? uv_strerror(err) : "EOF occurred");
    std::snprintf(code_, sizeof code_, "%s", err ? uv_err_name(err) : "UNEXPECTED_EOF_WHILE_READING");
    failed_ = true;
    s->hold_clock_for_peer(false);
    s->filter_event();
  }

  bool output(Stream* s, const char* p, size_t n) override {
    if (failed_) return false;
    if (!done_) {
      pending_.append(p, n);
      return true;
    }
    return write_plain(s, p, n);
  }

  size_t buffered() const override { return pending_.size(); }

  void closing(Stream* s) override {
    if (!done_ || failed_ || shut_) return;
    shut_ = true;
    SSL_shutdown(ssl_);  // queues close_notify
    ERR_clear_error();
    flush(s);
  }

  void on_event(lua_State* L, Stream*) override {
    if (!done_ && !failed_) return;
    if (!take_pending(L, waiter_)) return;
    if (failed_) {
      push_error(L);
      reject_top(L, -2);
    } else {
      resolve_top(L, -1, 0);
    }
    lua_pop(L, 1);
  }

  // asyncio.ssl.SSLError (or SSLCertVerificationError) with the message and
  // the fields code, reason, library, and verify_code / verify_message.
  void push_error(lua_State* L) override {
    push_asyncio_field(L, "ssl");
    lua_getfield(L, -1, verify_code_ ? "SSLCertVerificationError" : "SSLError");
    lua_remove(L, -2);
    lua_pushstring(L, msg_);
    lua_createtable(L, 0, 4);
    lua_pushstring(L, code_);
    lua_setfield(L, -2, "code");
    lua_pushstring(L, code_);
    lua_setfield(L, -2, "reason");
    if (verify_code_) {
      lua_pushinteger(L, verify_code_);
      lua_setfield(L, -2, "verify_code");
      lua_pushstring(L, X509_verify_cert_error_string(verify_code_));
      lua_setfield(L, -2, "verify_message");
    }
    lua_call(L, 2, 1);
  }

  bool push_extra_info(lua_State* L, const char* name) override {
    if (std::strcmp(name, "cipher") == 0) {
      if (!done_) return false;
      // As Python's SSLObject.cipher(): {name, protocol, secret bits}.
      lua_createtable(L, 3, 0);
      lua_pushstring(L, SSL_get_cipher_name(ssl_));
      lua_rawseti(L, -2, 1);
      lua_pushstring(L, SSL_get_version(ssl_));
      lua_rawseti(L, -2, 2);
      lua_pushinteger(L, SSL_get_cipher_bits(ssl_, nullptr));
      lua_rawseti(L, -2, 3);
      return true;
    }
    if (std::strcmp(name, "version") == 0) {
      if (!done_) return false;
      lua_pushstring(L, SSL_get_version(ssl_));
      return true;
    }
    if (std::strcmp(name, "peercert") == 0) return done_ && push_peercert(L);
    return false;
  }

  void loop_closing() override { waiter_.reset(); }

 private:
  // Drives the handshake, then decrypts what has arrived. False on failure.
  bool advance(Stream* s) {
    if (!done_) {
      ERR_clear_error();
      int r = SSL_do_handshake(ssl_);
      if (r == 1) {
        done_ = true;
        s->hold_clock_for_peer(false);
        s->filter_event();
        if (!pending_.empty()) {
          std::string p;
          p.swap(pending_);
          if (!write_plain(s, p.data(), p.size())) return false;
        }
      } else {
        int e = SSL_get_error(ssl_, r);
        if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) return fail(s, e);
      }
    }
    if (done_) {
      char buf[16 * 1024];
      for (;;) {
        ERR_clear_error();
        int r = SSL_read(ssl_, buf, sizeof buf);
        if (r > 0) {
          s->deliver(buf, static_cast<size_t>(r));
          continue;
        }
        int e = SSL_get_error(ssl_, r);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) break;
        if (e == SSL_ERROR_ZERO_RETURN) {  // close_notify: the peer's orderly end
          s->filter_eof();
          break;
        }
        return fail(s, e);
      }
    }
    flush(s);
    return true;
  }

  bool write_plain(Stream* s, const char* p, size_t n) {
    while (n > 0) {
      int chunk = static_cast<int>(n > (1u << 30) ? (1u << 30) : n);
      ERR_clear_error();
      int r = SSL_write(ssl_, p, chunk);
      if (r <= 0) return fail(s, SSL_get_error(ssl_, r));
      p += r;
      n -= static_cast<size_t>(r);
    }
    flush(s);
    return true;
  }

  // Hands what OpenSSL produced to the socket.
  void flush(Stream* s) {
    char buf[16 * 1024];
    int n;
    while ((n = BIO_read(wbio_, buf, sizeof buf)) > 0) s->send_raw(buf, static_cast<size_t>(n));
  }

  bool fail(Stream* s, int e) {
    unsigned long code = ERR_peek_last_error();
    if (e == SSL_ERROR_SSL && code) {
      describe_ssl_error(code, msg_, sizeof msg_, code_, sizeof code_);
      long vr = SSL_get_verify_result(ssl_);
      if (ERR_GET_REASON(code) == SSL_R_CERTIFICATE_VERIFY_FAILED && vr != X509_V_OK) {
        verify_code_ = static_cast<int>(vr);
        size_t len = std::strlen(msg_);
        std::snprintf(msg_ + len, sizeof msg_ - len, ": %s", X509_verify_cert_error_string(vr));
      }
    } else {
      std::snprintf(code_, sizeof code_, "%s", e == SSL_ERROR_SYSCALL ? "SYSCALL" : "SSL");
      std::snprintf(msg_, sizeof msg_, "[SSL: %s] TLS failure (OpenSSL error %d)", code_, e);
    }
    ERR_clear_error();
    flush(s);  // an alert for the peer, if OpenSSL made one
    failed_ = true;
    s->hold_clock_for_peer(false);
    s->filter_event();
    return false;
  }

  bool push_peercert(lua_State* L) {
    X509* cert = SSL_get1_peer_certificate(ssl_);
    if (!cert) return false;
    // Collected into plain C strings first: nothing with a destructor may
    // be live across the Lua calls below.
    char subject[512] = "", issuer[512] = "", nb[64] = "", na[64] = "";
    auto name_of = [](X509_NAME* n, char* out, size_t size) {
      BIO* b = BIO_new(BIO_s_mem());
      X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253);
      int len = BIO_read(b, out, static_cast<int>(size - 1));
      out[len > 0 ? len : 0] = '\0';
      BIO_free(b);
    };
    auto time_of = [](const ASN1_TIME* t, char* out, size_t size) {
      BIO* b = BIO_new(BIO_s_mem());
      ASN1_TIME_print(b, t);
      int len = BIO_read(b, out, static_cast<int>(size - 1));
      out[len > 0 ? len : 0] = '\0';
      BIO_free(b);
    };
    name_of(X509_get_subject_name(cert), subject, sizeof subject);
    name_of(X509_get_issuer_name(cert), issuer, sizeof issuer);
    time_of(X509_get0_notBefore(cert), nb, sizeof nb);
    time_of(X509_get0_notAfter(cert), na, sizeof na);
    char san[1024] = "";
    size_t sanlen = 0;
    auto* names = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
    for (int i = 0; names && i < sk_GENERAL_NAME_num(names); i++) {
      const GENERAL_NAME* g = sk_GENERAL_NAME_value(names, i);
      char one[300] = "";
      if (g->type == GEN_DNS) {
        std::snprintf(one, sizeof one, "DNS:%.*s", ASN1_STRING_length(g->d.dNSName),
                      reinterpret_cast<const char*>(ASN1_STRING_get0_data(g->d.dNSName)));
      } else if (g->type == GEN_IPADD && ASN1_STRING_length(g->d.iPAddress) == 4) {
        const unsigned char* a = ASN1_STRING_get0_data(g->d.iPAddress);
        std::snprintf(one, sizeof one, "IP:%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
      }
      size_t ol = std::strlen(one);
      if (ol && sanlen + ol + 2 < sizeof san) {
        std::memcpy(san + sanlen, one, ol);
        sanlen += ol;
        san[sanlen++] = '\n';
        san[sanlen] = '\0';
      }
    }
    if (names) GENERAL_NAMES_free(names);
    X509_free(cert);
    lua_createtable(L, 0, 5);
    lua_pushstring(L, subject);
    lua_setfield(L, -2, "subject");
    lua_pushstring(L, issuer);
    lua_setfield(L, -2, "issuer");
    lua_pushstring(L, nb);
    lua_setfield(L, -2, "not_before");
    lua_pushstring(L, na);
    lua_setfield(L, -2, "not_after");
    lua_newtable(L);
    int n = 0;
    for (char *p = san, *nl; *p && (nl = std::strchr(p, '\n')); p = nl + 1) {
      lua_pushlstring(L, p, static_cast<size_t>(nl - p));
      lua_rawseti(L, -2, ++n);
    }
    lua_setfield(L, -2, "subject_alt_names");
    return true;
  }

  SSL* ssl_;
  BIO* rbio_;
  BIO* wbio_;
  bool server_;
  bool done_ = false;
  bool failed_ = false;
  bool shut_ = false;
  std::string pending_;  // written before the handshake ended
  LuaRef waiter_;        // the handshake's future
  char msg_[512] = "";
  char code_[96] = "";
  int verify_code_ = 0;
};

// ================================================================ Lua functions

// "cannot load WHAT 'PATH': why" into buf, from errno or OpenSSL's error queue.
void ssl_error_text(char* buf, size_t size, const char* what, const char* path) {
  unsigned long code = ERR_peek_last_error();
  char detail[256], name[96];
  describe_ssl_error(code, detail, sizeof detail, name, sizeof name);
  ERR_clear_error();
  if (access(path, R_OK) != 0) std::snprintf(detail, sizeof detail, "%s", std::strerror(errno));
  std::snprintf(buf, size, "cannot load %s '%s': %s", what, path, detail);
}

// _tls.new_context(cafile, capath, certfile, keyfile, verify, check_hostname,
// verify_client) -> SSL context userdata. Paths may be nil; a file that
// cannot be loaded raises asyncio.ssl.SSLError.
int l_new_context(lua_State* L) {
  const char* cafile = luaL_optstring(L, 1, nullptr);
  const char* capath = luaL_optstring(L, 2, nullptr);
  const char* certfile = luaL_optstring(L, 3, nullptr);
  const char* keyfile = luaL_optstring(L, 4, nullptr);
  auto* box = static_cast<CtxBox*>(lua_newuserdatauv(L, sizeof(CtxBox), 0));
  box->ctx = nullptr;
  box->verify = lua_toboolean(L, 5);
  box->check_hostname = lua_toboolean(L, 6);
  box->verify_client = lua_toboolean(L, 7);
  luaL_setmetatable(L, kContextMT);
  ERR_clear_error();  // OpenSSL's loaders read the queue: start it empty
  SSL_CTX* ctx = SSL_CTX_new(TLS_method());
  if (!ctx) return luaL_error(L, "SSL_CTX_new failed");
  box->ctx = ctx;  // freed by __gc from now on
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  // The server side's verification (h2o makes its SSLs from the context);
  // start_tls sets the client side's on each SSL.
  if (box->verify_client) SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  char err[512] = "";
  if (cafile || capath) {
    if (SSL_CTX_load_verify_locations(ctx, cafile, capath) != 1)
      ssl_error_text(err, sizeof err, cafile ? "cafile" : "capath", cafile ? cafile : capath);
  } else {
    SSL_CTX_set_default_verify_paths(ctx);
  }
  if (!err[0] && certfile) {
    if (SSL_CTX_use_certificate_chain_file(ctx, certfile) != 1)
      ssl_error_text(err, sizeof err, "certfile", certfile);
    else if (SSL_CTX_use_PrivateKey_file(ctx, keyfile ? keyfile : certfile, SSL_FILETYPE_PEM) != 1)
      ssl_error_text(err, sizeof err, "keyfile", keyfile ? keyfile : certfile);
    else if (SSL_CTX_check_private_key(ctx) != 1)
      ssl_error_text(err, sizeof err, "keyfile", keyfile ? keyfile : certfile);
  }
  ERR_clear_error();
  if (err[0]) {
    push_asyncio_field(L, "ssl");
    lua_getfield(L, -1, "SSLError");
    lua_pushstring(L, err);
    lua_call(L, 1, 1);
    return lua_error(L);
  }
  return 1;
}

int l_ctx_gc(lua_State* L) {
  auto* box = static_cast<CtxBox*>(luaL_checkudata(L, 1, kContextMT));
  if (box->ctx) SSL_CTX_free(box->ctx);
  box->ctx = nullptr;
  return 0;
}

// _tls.has_certificate(ctx) -> whether it can serve (has a certificate).
int l_has_certificate(lua_State* L) {
  lua_pushboolean(L, SSL_CTX_get0_certificate(check_ctx(L, 1)->ctx) != nullptr);
  return 1;
}

// _tls.start_tls(writer, ctx, server_side, server_hostname) -> future done
// when the handshake has completed (or failed: asyncio.ssl.SSLError).
int l_start_tls(lua_State* L) {
  auto* wbox = static_cast<StreamBox*>(luaL_checkudata(L, 1, kWriterMT));
  Stream* s = wbox->s;
  if (!s || s->closing() || !s->loop()) return luaL_error(L, "attempt to use a closed stream");
  if (s->filter()) return luaL_error(L, "start_tls: the stream already uses TLS");
  CtxBox* cb = check_ctx(L, 2);
  bool server = lua_toboolean(L, 3);
  const char* hostname = luaL_optstring(L, 4, nullptr);
  if (server && !SSL_CTX_get0_certificate(cb->ctx))
    return luaL_error(L, "the SSL context has no certificate to serve with (create_context{certfile = ...})");
  push_new_future(L);
  future_set_label(L, -1, "tls handshake");  // named in timelines

  SSL* ssl = SSL_new(cb->ctx);
  if (!ssl) return luaL_error(L, "SSL_new failed");
  bool ok = true;
  if (!server) {
    SSL_set_verify(ssl, cb->verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
    if (hostname && *hostname) {
      unsigned char ip[16];
      bool is_ip = uv_inet_pton(AF_INET, hostname, ip) == 0 || uv_inet_pton(AF_INET6, hostname, ip) == 0;
      if (!is_ip) ok = SSL_set_tlsext_host_name(ssl, hostname) == 1;  // SNI
      if (ok && cb->verify && cb->check_hostname) {
        X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
        ok = is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, hostname) == 1 : SSL_set1_host(ssl, hostname) == 1;
      }
    }
  }
  if (!ok) {
    SSL_free(ssl);
    ERR_clear_error();
    return luaL_error(L, "start_tls: bad server_hostname '%s'", hostname);
  }
  auto* f = new TlsFilter(ssl, server);
  s->set_filter(f);  // the stream owns it now
  f->set_waiter(io_ref(L, -1));
  s->hold_clock_for_peer(true);
  f->start(s);
  return 1;
}

}  // namespace

SSL_CTX* check_ssl_context(lua_State* L, int idx) { return check_ctx(L, idx)->ctx; }

void adopt_server_tls(Stream* s, SSL* ssl) {
  auto* f = new TlsFilter(ssl, true, true);
  s->set_filter(f);  // the stream owns it now
}

}  // namespace luasync

// require("asyncio._tls"): the native part of asyncio.ssl and start_tls.
extern "C" int luaopen_asyncio__tls(lua_State* L) {
  using namespace luasync;
  static const Reg ctx_meta[] = {{"__gc", fn<l_ctx_gc>}, {nullptr, nullptr}};
  if (luaL_newmetatable(L, kContextMT)) set_funcs(L, ctx_meta, 0);
  lua_pop(L, 1);
  lua_createtable(L, 0, 3);
  push_fn<l_new_context>(L);
  lua_setfield(L, -2, "new_context");
  push_fn<l_start_tls>(L);
  lua_setfield(L, -2, "start_tls");
  push_fn<l_has_certificate>(L);
  lua_setfield(L, -2, "has_certificate");
  return 1;
}
