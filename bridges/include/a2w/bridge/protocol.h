#pragma once
// The a2w bridge protocol, version 1.0 (docs/bridge-protocol.md): a ZeroMQ ROUTER server and DEALER clients
// exchange two-frame messages [header, body]. The header is a small msgpack map:
//
//   {"v": "1.0", "type": "infer", "id": 7, "deadline_ms": 2000, "batch": 4}
//
//   v            protocol version "MAJOR.MINOR"; a peer refuses another major version (error naming both)
//   type         hello | infer | reset | step | close | ping | pong | error
//   id           request id (u64 below 2^63), chosen by the client and echoed in the reply
//   deadline_ms  optional: the client waits at most this long; a server drops work whose deadline passed
//   batch        optional, infer only: the body's arrays carry a leading batch dimension of this size;
//                absent: the body is one observation (OpenPI style) and the reply's actions are [H, D]
//
// The body is msgpack in the OpenPI dialect (codec.h). An error reply's body is
// {"code": "<ErrorCode>", "message": "<what was expected and what came>", "retryable": bool}.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "a2w/bridge/body.h"

namespace a2w::bridge {

struct Version {
  int major = 1;
  int minor = 0;
  std::string str() const { return std::to_string(major) + "." + std::to_string(minor); }
};
inline constexpr Version kProtocolVersion{1, 0};

enum class MessageType : std::uint8_t { kHello, kInfer, kReset, kStep, kClose, kPing, kPong, kError };
std::string_view to_string(MessageType t);
// Throws InvalidArgument listing the types.
MessageType parse_message_type(std::string_view s);

struct Header {
  Version version = kProtocolVersion;
  MessageType type = MessageType::kPing;
  std::uint64_t id = 0;
  std::optional<std::uint32_t> deadline_ms;
  std::optional<std::int64_t> batch;
};

// Headers are tiny: anything above this is refused before decoding.
inline constexpr std::size_t kMaxHeaderBytes = 1024;

std::string encode_header(const Header& h);
// Throws InvalidArgument for a malformed header (size, types, unknown message type, bad version string).
// The version is returned as sent: compatibility is checked separately (check_version) so that the error
// can say which versions met.
Header decode_header(std::string_view bytes);
// Throws InvalidArgument("protocol version 2.0 is not supported: this peer speaks 1.0 ...")
// when the major versions differ.
void check_version(const Version& theirs);

// Error codes of error replies (their wire spelling in parentheses).
enum class ErrorCode : std::uint8_t {
  kBadMessage,          // (bad_message) not a valid message: frames, header, msgpack, dtype, shape, limits
  kUnsupportedVersion,  // (unsupported_version) another major protocol version
  kUnknownType,         // (unknown_type) a message type this server does not serve
  kBadRequest,          // (bad_request) a valid message with wrong contents (action shape, missing key)
  kNoSession,           // (no_session) an env request before hello, or after the session ended
  kTooManySessions,     // (too_many_sessions) the server is full (retryable)
  kDeadlineExceeded,    // (deadline_exceeded) the request's deadline passed before it was served
  kPolicyError,         // (policy_error) the policy threw
  kEnvError,            // (env_error) the env threw (e.g. step after the episode ended)
  kShuttingDown,        // (shutting_down) the server is stopping (retryable)
  kInternal,            // (internal) anything else
};
std::string_view to_string(ErrorCode c);
// Unknown spellings give kInternal.
ErrorCode parse_error_code(std::string_view s);
bool retryable(ErrorCode c);

Body error_body(ErrorCode code, const std::string& message);

}  // namespace a2w::bridge
