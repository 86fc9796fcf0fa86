// tls.h: TLS with OpenSSL, in the network plugin (see tls.cpp).
#pragma once

#include <lua.hpp>
#include <openssl/ssl.h>

namespace luasync {

// The SSL_CTX of the asyncio.ssl context userdata at idx (raises if it is not
// one). Owned by the userdata: take a reference (SSL_CTX_up_ref) to keep it.
SSL_CTX* check_ssl_context(lua_State* L, int idx);

class Stream;
// Puts TLS on a stream whose session was negotiated elsewhere (an HTTPS
// server's connection upgraded to a websocket): ssl is a server-side SSL
// whose handshake is complete and which has no BIO; the stream owns it now.
void adopt_server_tls(Stream* s, SSL* ssl);

}  // namespace luasync

extern "C" int luaopen_asyncio__tls(lua_State* L);
