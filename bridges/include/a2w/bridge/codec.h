#pragma once
// The wire codec: Bodies and Values to and from msgpack in the OpenPI dialect (docs/bridge-protocol.md), the
// encoding openpi-client's msgpack_numpy uses, so bytes pass to and from OpenPI peers unchanged.
//
//   none -> nil   bool -> bool   int -> int (smallest encoding)   float -> float64   str -> str
//   List -> array   Dict -> map with str keys   Array -> a map whose keys are msgpack *bin*:
//     {b"__ndarray__": true, b"data": <bin: raw C-order bytes>, b"dtype": "<f4", b"shape": [2]}
//
// Decoding never trusts its input. In this order: the message size is capped; a structural scan checks
// every declared length against the bytes that really follow, the nesting depth, the number of values and
// that nothing trails the body, before anything is allocated; msgpack-c then unpacks under unpack_limit
// (array, map, str, bin, ext and depth limits, never its 4 GiB defaults); arrays must have a dtype from the
// whitelist below and exactly prod(shape) * itemsize bytes of data (computed with overflow checks). Any
// violation throws InvalidArgument naming what was expected and what came.
//
// dtypes on the wire: "|b1" bool, "|u1" uint8, "<i4" int32, "<i8" int64, "<f4" float32, "<f8" float64.
// Also accepted when decoding: numpy scalars ({b"__npgeneric__": true, b"data": x, b"dtype": "<f4"}) become
// 0-d arrays; a bare bin value becomes a uint8 array [n]. Ext types are refused.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "a2w/bridge/body.h"
#include "a2w/env/value.h"

namespace a2w::bridge {

// What a decoder accepts. The defaults suit observations of a few cameras; servers take theirs from their
// options (max_message_bytes).
struct DecodeLimits {
  std::size_t max_message_bytes = std::size_t{64} << 20;  // checked first, before any parsing
  std::size_t max_depth = 32;                             // nesting of maps and arrays
  std::size_t max_container = 65536;                      // elements of one array, entries of one map
  std::size_t max_values = std::size_t{1} << 20;          // values in the whole message
  std::size_t max_str_bytes = std::size_t{1} << 20;       // one string
};

// Encodes a body: a map whose keys are the body's keys in order.
std::string encode(const Body& body);
// Encodes any value (a Dict as a map in sorted key order).
std::string encode(const env::Value& value);

// Decodes a message body (a map with str keys at the top level). Arrays whose data is aligned for their
// dtype point into `bytes` without a copy when `keep_alive` owns those bytes (it is then held by every
// such array); otherwise arrays are copied out.
Body decode(std::string_view bytes, const DecodeLimits& limits = {},
            std::shared_ptr<const void> keep_alive = {});
// Decodes any value (used for headers and spec parts).
env::Value decode_value(std::string_view bytes, const DecodeLimits& limits = {},
                        std::shared_ptr<const void> keep_alive = {});

}  // namespace a2w::bridge
