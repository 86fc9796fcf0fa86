// udp.h: UDP endpoints, loop:create_datagram_endpoint (Python's datagram
// transports and protocols).
//
// A transport owns a uv_udp_t bound (local_addr) and/or connected
// (remote_addr). Received datagrams and socket errors are recorded by the
// libuv callbacks and handed to the protocol table from the ready queue:
// protocol:datagram_received(data, addr), protocol:error_received(err),
// and after close() protocol:connection_lost(nil). An error in a protocol
// method is printed and the loop goes on. transport:sendto(data [, addr])
// sends at once when the socket takes it, else queues (get_write_buffer_size).
// The transport and its protocol stay referenced while it is open.
#pragma once

#include <lua.hpp>

namespace luasync {

// Adds datagram_endpoint to the module table on top of the stack and makes
// the transport's metatable (asyncio.DatagramTransport).
void open_datagram(lua_State* L);

}  // namespace luasync
