#include <a2w/env/json.h>
#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "test_util.h"

using namespace a2w::env;
using a2w::test::message_of;

TEST_CASE("to_json writes values, arrays as nested lists, NaN as null") {
  CHECK(to_json(Value()) == "null");
  CHECK(to_json(Value(true)) == "true");
  CHECK(to_json(Value(-3)) == "-3");
  CHECK(to_json(Value(1.0)) == "1.0");
  CHECK(to_json(Value(0.1)) == "0.1");
  CHECK(to_json(Value(std::nan(""))) == "null");
  CHECK(to_json(Value(std::numeric_limits<double>::infinity())) == "null");
  CHECK(to_json(Value("a\"b\\c\n\x01")) == R"("a\"b\\c\n\u0001")");
  CHECK(to_json(Value("é")) == "\"é\"");
  CHECK(to_json(Value(Array::from({0.1f, 2.0f, NAN}))) == "[0.1,2.0,null]");
  CHECK(to_json(Value(Array::from(std::vector<std::int32_t>{1, 2, 3, 4, 5, 6}, {2, 3}))) ==
        "[[1,2,3],[4,5,6]]");
  CHECK(to_json(Value(Array::scalar(true))) == "true");
  CHECK(to_json(Value(Array(DType::kUInt8, {2, 0}))) == "[[],[]]");
  const Dict d{
      {"success_rate", 0.5}, {"returns", Array::from({1.0f, 2.0f})}, {"name", "x"}, {"nested", Dict{}}};
  CHECK(to_json(d) == R"({"name":"x","nested":{},"returns":[1.0,2.0],"success_rate":0.5})");
  CHECK(to_json(d, true) ==
        "{\n  \"name\": \"x\",\n  \"nested\": {},\n  \"returns\": [1.0, 2.0],\n  \"success_rate\": 0.5\n}");
  CHECK(to_json(Value(List{1, List{2, 3}}), true) == "[\n  1,\n  [2, 3]\n]");
}

TEST_CASE("parse_json reads every JSON kind") {
  const Value v = parse_json(
      R"( {"a": [1, 2.5, -3e2, true, false, null], "s": "x\u00e9\ud83d\ude00\n", "big": 123456789012345678901} )");
  const Dict& d = v.as_dict();
  const List& a = d.at("a").as_list();
  CHECK(a[0].is_int());
  CHECK(a[0].as_int() == 1);
  CHECK(a[1].as_double() == 2.5);
  CHECK(a[2].is_double());
  CHECK(a[2].as_double() == -300.0);
  CHECK(a[3].as_bool());
  CHECK(a[5].is_none());
  CHECK(d.at("s").as_string() == "x\xc3\xa9\xf0\x9f\x98\x80\n");
  CHECK(d.at("big").is_double());
  CHECK(parse_json("0").as_int() == 0);
  CHECK(parse_json("-0.5e-1").as_double() == -0.05);
}

TEST_CASE("to_json and parse_json round-trip") {
  const std::string texts[] = {
      R"({"a":[1,2.5,null,true],"b":{"c":"d","e":[]},"f":-7,"g":1e+20})",
      R"([[1,2],[3,4]])",
      R"("only a string")",
  };
  for (const std::string& t : texts) {
    CAPTURE(t);
    CHECK(to_json(parse_json(t)) == t);
    CHECK(to_json(parse_json(to_json(parse_json(t), true))) == t);
  }
  Dict d{{"x", 0.1 + 0.2}, {"y", std::numeric_limits<double>::max()}, {"z", std::int64_t{-9007199254740993}}};
  const Value back = parse_json(to_json(d));
  CHECK(back.as_dict().at("x").as_double() == 0.1 + 0.2);  // shortest round-trip text is exact
  CHECK(back.as_dict().at("y").as_double() == std::numeric_limits<double>::max());
  CHECK(back.as_dict().at("z").as_int() == -9007199254740993);
}

TEST_CASE("parse_json errors name line and column") {
  CHECK(message_of<a2w::InvalidArgument>([] { parse_json("{\n  \"a\": 1,\n  \"b\": ]\n}"); }) ==
        "JSON: expected a value at line 3, column 8, got ']'");
  CHECK(message_of<a2w::InvalidArgument>([] { parse_json("[1, 2"); }) ==
        "JSON: expected ',' or ']' at line 1, column 6, got end of input");
  CHECK(message_of<a2w::InvalidArgument>([] { parse_json("{\"a\": 1} x"); }) ==
        "JSON: expected end of input at line 1, column 10, got 'x'");
  CHECK(message_of<a2w::InvalidArgument>([] { parse_json("{\"a\": 1, \"a\": 2}"); }) ==
        "JSON: expected unique keys (\"a\" appears twice) at line 1, column 10, got '\"'");
  CHECK_THROWS_AS(parse_json("01"), a2w::InvalidArgument);
  CHECK_THROWS_AS(parse_json("NaN"), a2w::InvalidArgument);
  CHECK_THROWS_AS(parse_json("\"tab\there\""), a2w::InvalidArgument);
  CHECK_THROWS_AS(parse_json("\"\\ud800\""), a2w::InvalidArgument);
  CHECK_THROWS_AS(parse_json(std::string(1000, '[')), a2w::InvalidArgument);
  CHECK_THROWS_AS(parse_json(""), a2w::InvalidArgument);
}

TEST_CASE("to_array turns nested lists into arrays") {
  const Array a = to_array(parse_json("[[1, 2, 3], [4, 5, 6]]"), DType::kFloat32);
  CHECK(a.shape() == Shape{2, 3});
  CHECK(a.data<float>()[5] == 6.0f);
  const Array m = to_array(parse_json("[true, false]"), DType::kBool);
  CHECK(m.data<bool>()[0]);
  CHECK(to_array(Value(3), DType::kInt64).shape() == Shape{});
  CHECK_THROWS_AS(to_array(parse_json("[[1, 2], [3]]"), DType::kFloat32), a2w::InvalidArgument);
  CHECK_THROWS_AS(to_array(parse_json("[\"a\"]"), DType::kFloat32), a2w::InvalidArgument);
  CHECK_THROWS_AS(to_array(parse_json("[1.5]"), DType::kInt32), a2w::InvalidArgument);
}
