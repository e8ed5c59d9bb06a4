#pragma once
// Internal: the codec's msgpack-c level, for the servers and clients that send encoded bodies to ZeroMQ
// without a copy (an sbuffer's memory is handed to a zmq message).

#include <msgpack/sbuffer.hpp>
#include <string_view>
#include <zmq.hpp>

#include "a2w/bridge/body.h"

namespace a2w::bridge::wire {

// Appends the encoding to `out`.
void encode_into(const Body& body, msgpack::sbuffer& out);
void encode_into(const env::Value& value, msgpack::sbuffer& out);
// An upper bound of the encoded size, to reserve the buffer once.
std::size_t size_bound(const Body& body);

// Moves the buffer's memory into a zmq message (no copy).
zmq::message_t to_message(msgpack::sbuffer&& buffer);
// A zmq message holding the encoding of `body` (its own buffer, handed over without a copy).
zmq::message_t encode_message(const Body& body);
// The same through `scratch`, a buffer kept between calls: large bodies then cost no fresh pages (a new
// 300 KB malloc per message faults in every page, which costs more than the copy into the message).
zmq::message_t encode_message(const Body& body, msgpack::sbuffer& scratch);

inline std::string_view view(const zmq::message_t& m) {
  return {static_cast<const char*>(m.data()), m.size()};
}

}  // namespace a2w::bridge::wire
