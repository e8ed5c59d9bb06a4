// The wire codec: the golden vector of docs/bridge-protocol.md byte for byte, round trips of every kind of
// value, and the checks that make decoding safe.

#include "a2w/bridge/codec.h"

#include <doctest/doctest.h>

#include <cstring>
#include <string>

#include "a2w/bridge/protocol.h"

using namespace a2w;
using bridge::Body;

namespace {

std::string hex(const std::string& s) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out += d[c >> 4];
    out += d[c & 15];
  }
  return out;
}

std::string unhex(std::string_view h) {
  std::string out;
  auto v = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  for (std::size_t i = 0; i + 1 < h.size(); i += 2) out += static_cast<char>(v(h[i]) * 16 + v(h[i + 1]));
  return out;
}

std::string b(std::string_view s) {
  return std::string(s);
}

}  // namespace

TEST_CASE("the golden vector: {\"state\": float32[1, 2], \"prompt\": \"hi\"} encodes byte for byte") {
  const Body body{{"state", env::Array::from({1.0f, 2.0f})}, {"prompt", "hi"}};
  // 82 a5"state" 84 c40b"__ndarray__" c3 c404"data" c408 0000803f00000040 c405"dtype" a3"<f4" c405"shape" 91
  // 02 a6"prompt" a2"hi"
  const std::string golden =
      "\x82\xa5state\x84\xc4\x0b__ndarray__\xc3\xc4\x04"
      "data\xc4\x08" +
      unhex("0000803f00000040") +
      "\xc4\x05"
      "dtype\xa3<f4\xc4\x05shape\x91\x02\xa6prompt\xa2hi";
  const std::string bytes = bridge::encode(body);
  CHECK(hex(bytes) == hex(golden));

  const Body back = bridge::decode(bytes);
  REQUIRE(back.size() == 2);
  CHECK(back.entries()[0].first == "state");
  CHECK(back.entries()[1].first == "prompt");
  CHECK(back.at("state").as_array().equals(env::Array::from({1.0f, 2.0f})));
  CHECK(back.at("prompt").as_string() == "hi");
  CHECK(bridge::encode(back) == golden);
}

TEST_CASE("floats are always float64 on the wire, as Python writes them, even when integral") {
  // msgpack.packb({"r": 0.0, "x": -2.0, "big": 1e19}) in Python.
  const std::string python = "\x83\xa1r\xcb" + unhex("0000000000000000") + "\xa1x\xcb" +
                             unhex("c000000000000000") + "\xa3" + "big\xcb" + unhex("43e158e460913d00");
  const Body body{{"r", 0.0}, {"x", -2.0}, {"big", 1e19}};
  CHECK(hex(bridge::encode(body)) == hex(python));
  CHECK(bridge::decode(python).at("r").is_double());
}

TEST_CASE("every kind of value round trips") {
  env::Array img(env::DType::kUInt8, {2, 3, 3});
  for (int i = 0; i < 18; ++i) img.data<std::uint8_t>()[i] = static_cast<std::uint8_t>(i * 13);
  const Body body{
      {"img", img},
      {"b", env::Array::from({true, false, true})},
      {"i4", env::Array::from(std::vector<std::int32_t>{-1, 7}, {2})},
      {"i8", env::Array::from(std::vector<std::int64_t>{-5, 1LL << 40}, {1, 2})},
      {"f8", env::Array::scalar(2.5)},
      {"none", env::Value()},
      {"t", true},
      {"ints", env::List{0, 127, 128, 255, 256, 65536, -1, -33, -129, std::int64_t{1} << 40}},
      {"x", 0.1},
      {"s", "héllo"},
      {"nested", env::Dict{{"a", env::List{1, "two", env::Dict{{"z", 3.0}}}}, {"e", env::Dict{}}}},
      {"empty", env::Array(env::DType::kFloat32, {0, 7})}};
  const std::string bytes = bridge::encode(body);
  const Body back = bridge::decode(bytes);
  CHECK(bridge::encode(back) == bytes);
  CHECK(back.at("img").as_array().equals(img));
  CHECK(back.at("b").as_array().data<bool>()[2]);
  CHECK(back.at("i8").as_array().shape() == env::Shape{1, 2});
  CHECK(back.at("f8").as_array().ndim() == 0);
  CHECK(back.at("none").is_none());
  CHECK(back.at("ints").as_list()[9].as_int() == (std::int64_t{1} << 40));
  CHECK(back.at("ints").as_list()[8].as_int() == -129);
  CHECK(back.at("s").as_string() == "héllo");
  CHECK(back.at("nested").as_dict().at("a").as_list()[2].as_dict().at("z").as_double() == 3.0);
  CHECK(back.at("empty").as_array().shape() == env::Shape{0, 7});
}

TEST_CASE("decoded arrays share the receive buffer when it is kept alive, and copy otherwise") {
  const Body body{{"img", env::Array(env::DType::kUInt8, {4, 4, 3})}};
  auto buffer = std::make_shared<std::string>(bridge::encode(body));
  const Body shared = bridge::decode(*buffer, {}, buffer);
  const auto* p = static_cast<const char*>(shared.at("img").as_array().raw());
  CHECK(p >= buffer->data());
  CHECK(p < buffer->data() + buffer->size());
  const Body copied = bridge::decode(*buffer);
  const auto* q = static_cast<const char*>(copied.at("img").as_array().raw());
  CHECK((q < buffer->data() || q >= buffer->data() + buffer->size()));
}

TEST_CASE("numpy scalars and bare bytes decode") {
  // {"x": np.float32(1.5)} as openpi packs it: item() gives a float64.
  const std::string bytes =
      "\x81\xa1x\x83\xc4\x0d__npgeneric__\xc3\xc4\x04"
      "data\xcb" +
      unhex("3ff8000000000000") + "\xc4\x05" + "dtype\xa3<f4";
  const Body back = bridge::decode(bytes);
  CHECK(back.at("x").as_array().dtype() == env::DType::kFloat32);
  CHECK(back.at("x").as_array().item<float>() == 1.5f);
  const Body raw = bridge::decode(b("\x81\xa1r\xc4\x03\x01\x02\x03"));
  CHECK(raw.at("r").as_array().shape() == env::Shape{3});
}

TEST_CASE("headers round trip and are checked") {
  bridge::Header h;
  h.type = bridge::MessageType::kInfer;
  h.id = 123456789;
  h.deadline_ms = 2000;
  h.batch = 4;
  const auto back = bridge::decode_header(bridge::encode_header(h));
  CHECK(back.type == bridge::MessageType::kInfer);
  CHECK(back.id == 123456789);
  CHECK(*back.deadline_ms == 2000);
  CHECK(*back.batch == 4);
  bridge::Header v2 = h;
  v2.version = {2, 1};
  const auto b2 = bridge::decode_header(bridge::encode_header(v2));
  CHECK_THROWS_WITH_AS(bridge::check_version(b2.version),
                       doctest::Contains("protocol version 2.1 is not supported: this peer speaks 1.0"),
                       InvalidArgument);
  CHECK_NOTHROW(bridge::check_version({1, 7}));
}
