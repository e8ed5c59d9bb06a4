#include "a2w/bridge/protocol.h"

#include <array>
#include <charconv>

#include "a2w/bridge/codec.h"

namespace a2w::bridge {

namespace {

constexpr std::array<std::string_view, 8> kTypes = {"hello", "infer", "reset", "step",
                                                    "close", "ping",  "pong",  "error"};
constexpr std::array<std::string_view, 11> kCodes = {
    "bad_message", "unsupported_version", "unknown_type",      "bad_request",
    "no_session",  "too_many_sessions",   "deadline_exceeded", "policy_error",
    "env_error",   "shutting_down",       "internal"};

Version parse_version(std::string_view s) {
  Version v;
  const auto dot = s.find('.');
  auto number = [&](std::string_view part, int& out) {
    const auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), out);
    return ec == std::errc() && p == part.data() + part.size() && !part.empty() && out >= 0;
  };
  if (dot == std::string_view::npos || !number(s.substr(0, dot), v.major) ||
      !number(s.substr(dot + 1), v.minor))
    throw InvalidArgument("header: v: expected a version \"MAJOR.MINOR\" such as \"" +
                          kProtocolVersion.str() + "\", got \"" + std::string(s.substr(0, 32)) + "\"");
  return v;
}

}  // namespace

std::string_view to_string(MessageType t) {
  return kTypes[static_cast<std::size_t>(t)];
}

MessageType parse_message_type(std::string_view s) {
  for (std::size_t i = 0; i < kTypes.size(); ++i)
    if (kTypes[i] == s) return static_cast<MessageType>(i);
  throw InvalidArgument(
      "header: type: expected one of hello, infer, reset, step, close, ping, pong, error; got \"" +
      std::string(s.substr(0, 32)) + "\"");
}

std::string_view to_string(ErrorCode c) {
  return kCodes[static_cast<std::size_t>(c)];
}

ErrorCode parse_error_code(std::string_view s) {
  for (std::size_t i = 0; i < kCodes.size(); ++i)
    if (kCodes[i] == s) return static_cast<ErrorCode>(i);
  return ErrorCode::kInternal;
}

bool retryable(ErrorCode c) {
  return c == ErrorCode::kTooManySessions || c == ErrorCode::kShuttingDown ||
         c == ErrorCode::kDeadlineExceeded;
}

Body error_body(ErrorCode code, const std::string& message) {
  return Body{{"code", std::string(to_string(code))}, {"message", message}, {"retryable", retryable(code)}};
}

std::string encode_header(const Header& h) {
  Body b{{"v", h.version.str()},
         {"type", std::string(to_string(h.type))},
         {"id", static_cast<std::int64_t>(h.id)}};
  if (h.deadline_ms) b.set("deadline_ms", static_cast<std::int64_t>(*h.deadline_ms));
  if (h.batch) b.set("batch", *h.batch);
  return encode(b);
}

Header decode_header(std::string_view bytes) {
  if (bytes.size() > kMaxHeaderBytes)
    throw InvalidArgument("header: expected at most " + std::to_string(kMaxHeaderBytes) + " bytes, got " +
                          std::to_string(bytes.size()));
  DecodeLimits limits;
  limits.max_message_bytes = kMaxHeaderBytes;
  limits.max_depth = 2;
  limits.max_container = 16;
  limits.max_values = 64;
  limits.max_str_bytes = 64;
  Body b;
  try {
    b = decode(bytes, limits);
  } catch (const InvalidArgument& e) {
    throw InvalidArgument(std::string("header: ") + e.what());
  }
  Header h;
  const env::Value* v = b.find("v");
  if (!v || !v->is_string())
    throw InvalidArgument("header: v: expected a version string such as \"1.0\", got " +
                          (v ? env::describe(*v) : std::string("none")));
  h.version = parse_version(v->as_string());
  const env::Value* type = b.find("type");
  if (!type || !type->is_string())
    throw InvalidArgument("header: type: expected a str, got " +
                          (type ? env::describe(*type) : std::string("none")));
  h.type = parse_message_type(type->as_string());
  if (const env::Value* id = b.find("id")) {
    if (!id->is_int() || id->as_int() < 0)
      throw InvalidArgument("header: id: expected a non-negative integer, got " + env::describe(*id));
    h.id = static_cast<std::uint64_t>(id->as_int());
  }
  if (const env::Value* d = b.find("deadline_ms"); d && !d->is_none()) {
    if (!d->is_int() || d->as_int() < 0 || d->as_int() > 86'400'000)
      throw InvalidArgument("header: deadline_ms: expected an integer in [0, 86400000], got " +
                            env::describe(*d));
    h.deadline_ms = static_cast<std::uint32_t>(d->as_int());
  }
  if (const env::Value* n = b.find("batch"); n && !n->is_none()) {
    if (!n->is_int() || n->as_int() < 1 || n->as_int() > 65536)
      throw InvalidArgument("header: batch: expected an integer in [1, 65536], got " + env::describe(*n));
    h.batch = n->as_int();
  }
  return h;
}

void check_version(const Version& theirs) {
  if (theirs.major != kProtocolVersion.major)
    throw InvalidArgument("protocol version " + theirs.str() + " is not supported: this peer speaks " +
                          kProtocolVersion.str() + " (the major versions must match)");
}

}  // namespace a2w::bridge
