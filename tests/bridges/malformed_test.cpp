// Bad input: malformed messages of every kind each get an error reply that names the problem, the server
// does not crash, allocates nothing large (declared sizes of gigabytes are refused before any allocation),
// and goes on serving.

#include <doctest/doctest.h>

#include "../env/counter_env.h"
#include "a2w/bridge/env_server.h"
#include "a2w/bridge/policy_server.h"
#include "a2w/bridge/remote_env.h"
#include "alloc_watch.h"
#include "bridge_test_util.h"

using namespace a2w;
using bridge::Body;
using bridge::ErrorCode;
using bridge::MessageType;

namespace {

std::string bytes(std::initializer_list<int> b) {
  std::string s;
  for (int c : b) s += static_cast<char>(c);
  return s;
}

// A body {"state": <ndarray map with the given parts>}.
std::string ndarray_body(const std::string& data, const std::string& dtype, const std::string& shape) {
  std::string s = bytes({0x81, 0xa5}) + "state" + bytes({0x84, 0xc4, 0x0b}) + "__ndarray__" +
                  bytes({0xc3, 0xc4, 0x04}) + "data" + data + bytes({0xc4, 0x05}) + "dtype" + dtype +
                  bytes({0xc4, 0x05}) + "shape" + shape;
  return s;
}

std::string bin(const std::string& payload) {
  return bytes({0xc4, static_cast<int>(payload.size())}) + payload;
}
std::string str(const std::string& s) {
  return bytes({0xa0 | static_cast<int>(s.size())}) + s;
}

std::string header_with(const std::string& v, const std::string& type, const std::string& id_bytes) {
  return bytes({0x83, 0xa1}) + "v" + str(v) + bytes({0xa4}) + "type" + str(type) + bytes({0xa2}) + "id" +
         id_bytes;
}

struct Case {
  const char* name;
  std::vector<std::string> frames;
  ErrorCode code;
  const char* says;  // part of the error message
};

std::vector<Case> cases() {
  const std::string h = test::header(MessageType::kInfer, 1);
  const std::string hb = test::header(MessageType::kInfer, 1, 4);
  const std::string good_state = ndarray_body(bin(std::string(12, '\0')), str("<f4"), bytes({0x91, 0x03}));
  std::string deep = bytes({0x81, 0xa1}) + "d";
  for (int i = 0; i < 100; ++i) deep += bytes({0x91});
  deep += bytes({0x01});
  return {
      {"a single frame", {h}, ErrorCode::kBadMessage, "expected a message of 2 frames"},
      {"three frames", {h, good_state, "x"}, ErrorCode::kBadMessage, "expected a message of 2 frames"},
      {"a header that is not msgpack", {bytes({0xc1}), good_state}, ErrorCode::kBadMessage, "0xc1"},
      {"a truncated header", {bytes({0x83, 0xa1}) + "v", good_state}, ErrorCode::kBadMessage, "truncated"},
      {"a header that is an array",
       {bytes({0x91, 0x01}), good_state},
       ErrorCode::kBadMessage,
       "expected a map"},
      {"an unknown message type",
       {header_with("1.0", "fly", bytes({0x01})), good_state},
       ErrorCode::kBadMessage,
       "type: expected one of hello"},
      {"another major version",
       {header_with("2.0", "infer", bytes({0x01})), good_state},
       ErrorCode::kUnsupportedVersion,
       "protocol version 2.0 is not supported"},
      {"a version that is not a version",
       {header_with("banana", "infer", bytes({0x01})), good_state},
       ErrorCode::kBadMessage,
       "MAJOR.MINOR"},
      {"a negative request id",
       {header_with("1.0", "infer", bytes({0xff})), good_state},
       ErrorCode::kBadMessage,
       "id: expected a non-negative integer"},
      {"a huge header",
       {h + std::string(2000, 'x'), good_state},
       ErrorCode::kBadMessage,
       "at most 1024 bytes"},
      {"an empty body", {h, ""}, ErrorCode::kBadMessage, "got 0 bytes"},
      {"a truncated body",
       {h, good_state.substr(0, good_state.size() - 9)},
       ErrorCode::kBadMessage,
       "truncated"},
      {"a body that is an array", {h, bytes({0x92, 0x01, 0x02})}, ErrorCode::kBadMessage, "expected a map"},
      {"an array declaring 2^32-1 elements",
       {h, bytes({0x81, 0xa1, 'a', 0xdd, 0xff, 0xff, 0xff, 0xff})},
       ErrorCode::kBadMessage,
       "4294967295"},
      {"a map declaring 2^32-1 entries",
       {h, bytes({0xdf, 0xff, 0xff, 0xff, 0xff})},
       ErrorCode::kBadMessage,
       "4294967295"},
      {"a str declaring 4 GiB",
       {h, bytes({0x81, 0xa1, 'a', 0xdb, 0xff, 0xff, 0xff, 0xff, 'x'})},
       ErrorCode::kBadMessage,
       "4294967295"},
      {"an ndarray whose data declares 4 GiB",
       {h, ndarray_body(bytes({0xc6, 0xff, 0xff, 0xff, 0xff}) + "abc", str("<f4"), bytes({0x91, 0x03}))},
       ErrorCode::kBadMessage,
       "4294967295"},
      {"nesting 100 levels deep", {h, deep}, ErrorCode::kBadMessage, "nesting deeper than"},
      {"an unknown dtype",
       {h, ndarray_body(bin(std::string(12, '\0')), str("<U3"), bytes({0x91, 0x01}))},
       ErrorCode::kBadMessage,
       "dtype: expected one of |b1, |u1, <i4, <i8, <f4, <f8, got '<U3'"},
      {"a complex dtype",
       {h, ndarray_body(bin(std::string(8, '\0')), str("<c8"), bytes({0x91, 0x01}))},
       ErrorCode::kBadMessage,
       "got '<c8'"},
      {"shape and data length that disagree",
       {h, ndarray_body(bin(std::string(8, '\0')), str("<f4"), bytes({0x91, 0x03}))},
       ErrorCode::kBadMessage,
       "needs 12 bytes of data, got 8"},
      {"a shape whose product overflows",
       {h, ndarray_body(bin(std::string(8, '\0')), str("<f4"),
                        bytes({0x92, 0xcf, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0xcf, 0x00, 0x00,
                               0x10, 0x00, 0x00, 0x00, 0x00, 0x00}))},
       ErrorCode::kBadMessage,
       "overflows"},
      {"a negative dimension",
       {h, ndarray_body(bin(std::string(4, '\0')), str("<f4"), bytes({0x91, 0xff}))},
       ErrorCode::kBadMessage,
       "non-negative integers"},
      {"ndarray data that is a str",
       {h, ndarray_body(str("abcd"), str("<f4"), bytes({0x91, 0x01}))},
       ErrorCode::kBadMessage,
       "data: expected bin"},
      {"__ndarray__ false",
       {h, bytes({0x81, 0xa1, 's', 0x84, 0xc4, 0x0b}) + "__ndarray__" + bytes({0xc2, 0xc4, 0x04}) + "data" +
               bin(std::string(4, '\0')) + bytes({0xc4, 0x05}) + "dtype" + str("<f4") + bytes({0xc4, 0x05}) +
               "shape" + bytes({0x91, 0x01})},
       ErrorCode::kBadMessage,
       "expected true"},
      {"an ext value", {h, bytes({0x81, 0xa1, 'a', 0xd4, 0x01, 0x02})}, ErrorCode::kBadMessage, "ext"},
      {"an int key at the top level", {h, bytes({0x81, 0x01, 0x02})}, ErrorCode::kBadMessage, "str keys"},
      {"bytes after the body", {h, good_state + bytes({0x00})}, ErrorCode::kBadMessage, "trailing bytes"},
      {"a duplicate key",
       {h, bytes({0x82, 0xa1, 'a', 0x01, 0xa1, 'a', 0x02})},
       ErrorCode::kBadMessage,
       "duplicate key"},
      {"the unused byte 0xc1 in a body", {h, bytes({0x81, 0xa1, 'a', 0xc1})}, ErrorCode::kBadMessage, "0xc1"},
      {"a batch header that disagrees with the arrays",
       {hb, good_state},
       ErrorCode::kBadRequest,
       "expected a batch of 4 rows"},
      {"an empty observation", {h, bytes({0x80})}, ErrorCode::kBadRequest, "at least one key"},
      {"a step sent to a policy server",
       {test::header(MessageType::kStep, 1), bytes({0x80})},
       ErrorCode::kUnknownType,
       "policy server"},
  };
}

}  // namespace

TEST_CASE("a policy server answers every malformed message with an error, allocates nothing large, goes on") {
  auto policy = std::make_shared<test::ZeroPolicy>(0);
  bridge::PolicyServerOptions o;
  o.bind = "tcp://127.0.0.1:0";
  bridge::PolicyServer server(policy, o);
  server.start();
  test::RawPeer peer(server.endpoint());
  // Warm up: the first exchange allocates the sockets' buffers.
  peer.send({test::header(MessageType::kHello, 0), bytes({0x80})});
  REQUIRE(peer.receive());

  const auto all = cases();
  CHECK(all.size() >= 20);
  for (const Case& c : all) {
    CAPTURE(c.name);
    test::reset_largest_allocation();
    peer.send(c.frames);
    const auto r = peer.receive();
    REQUIRE_MESSAGE(r, "no reply to " << c.name);
    CHECK(r->first.type == MessageType::kError);
    CHECK(r->second.at("code").as_string() == bridge::to_string(c.code));
    const std::string msg = r->second.at("message").as_string();
    CAPTURE(msg);
    CHECK(msg.find(c.says) != std::string::npos);
    if (test::allocation_watch_active()) CHECK(test::largest_allocation() < (std::size_t{1} << 20));
  }
  // Still serving; and the watch does see large allocations (a real 2 MiB observation).
  test::reset_largest_allocation();
  peer.send({test::header(MessageType::kInfer, 99),
             bridge::encode(Body{{"state", env::Array(env::DType::kFloat32, {512 * 1024})}})});
  const auto r = peer.receive();
  REQUIRE(r);
  CHECK(r->first.type == MessageType::kInfer);
  CHECK(r->first.id == 99);
  if (test::allocation_watch_active()) CHECK(test::largest_allocation() >= (std::size_t{2} << 20));
  CHECK(server.stats().malformed >= 25);
  CHECK(policy->calls == 1);
}

TEST_CASE("an env server keeps serving its other clients when one sends garbage or disappears") {
  bridge::EnvServerOptions o;
  o.bind = "tcp://127.0.0.1:0";
  o.session_timeout_s = 0.5;
  bridge::EnvServer server(bridge::EnvFactory::of_env([] { return std::make_unique<test::CounterEnv>(); }),
                           o);
  server.start();

  bridge::RemoteEnv good({.endpoint = server.endpoint()});
  auto [obs, info] = good.reset(std::uint64_t{4});
  CHECK(info.at("reset_seed").as_int() == 4);
  {
    test::RawPeer bad(server.endpoint());
    bad.send({test::header(MessageType::kStep, 1), bytes({0x80})});  // no session yet
    auto r = bad.receive();
    REQUIRE(r);
    CHECK(r->second.at("code").as_string() == "no_session");
    bad.send({test::header(MessageType::kHello, 2), bytes({0x80})});
    r = bad.receive();
    REQUIRE(r);
    CHECK(r->first.type == MessageType::kHello);
    for (const Case& c : cases()) {
      if (c.code == ErrorCode::kBadRequest || c.code == ErrorCode::kUnknownType)
        continue;  // policy-server cases
      CAPTURE(c.name);
      bad.send(c.frames);
      r = bad.receive();
      REQUIRE(r);
      CHECK(r->first.type == MessageType::kError);
    }
    bad.send({test::header(MessageType::kReset, 5), bytes({0x80})});
    r = bad.receive();
    REQUIRE(r);
    CHECK(r->first.type == MessageType::kReset);
    bad.send({test::header(MessageType::kStep, 3),
              bridge::encode(Body{{"action", env::Array(env::DType::kFloat32, {5})}})});
    r = bad.receive();
    REQUIRE(r);
    CHECK(r->second.at("code").as_string() == "bad_request");
    CHECK(r->second.at("message").as_string().find("[5]") != std::string::npos);
    bad.send({test::header(MessageType::kInfer, 4), bytes({0x80})});
    r = bad.receive();
    REQUIRE(r);
    CHECK(r->second.at("code").as_string() == "unknown_type");
    // ...and now it disappears without a close.
  }
  // The good client went on being served meanwhile.
  auto s = good.step(env::Array::from({0.5f, 0.0f}));
  CHECK(s.info.at("t").as_int() == 1);
  // The vanished client's session times out; the good one, still talking, keeps its own.
  for (int i = 0; i < 100 && server.stats().sessions_timed_out == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (i % 4 == 0) (void)good.reset(std::uint64_t{4});
  }
  CHECK(server.stats().sessions_timed_out >= 1);
  CHECK(good.step(env::Array::from({0.0f, 0.0f})).info.at("t").as_int() == 1);
}
