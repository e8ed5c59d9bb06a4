#include <a2w/env/value.h>
#include <doctest/doctest.h>

#include "test_util.h"

using namespace a2w::env;
using a2w::test::message_of;

TEST_CASE("Value kinds and accessors") {
  CHECK(Value().kind() == "none");
  CHECK(Value(true).kind() == "bool");
  CHECK(Value(3).kind() == "int");
  CHECK(Value(2.5).kind() == "float");
  CHECK(Value("hi").kind() == "str");
  CHECK(Value(Array::from({1.0f})).kind() == "array");
  CHECK(Value(List{1, 2}).kind() == "list");
  CHECK(Value(Dict{{"a", 1}}).kind() == "dict");

  CHECK(Value(3).as_double() == 3.0);
  CHECK(Value(4.0).as_int() == 4);
  CHECK(Value(Array::scalar(2.5f)).as_double() == 2.5);
  CHECK(Value(Array::from({7.0})).as_int() == 7);
  CHECK(Value(Array::scalar(std::int64_t{9})).as_int() == 9);
  CHECK(Value(Array::scalar(true)).as_bool());
  CHECK(Value(1).as_bool());
  CHECK_FALSE(Value(0.0).as_bool());
  CHECK(Value(std::uint64_t{5}).as_int() == 5);
}

TEST_CASE("Value accessors name the expected and the actual kind") {
  CHECK(message_of<a2w::InvalidArgument>([] { Value("x").as_int(); }) == "expected int, got str");
  CHECK(message_of<a2w::InvalidArgument>([] { Value(1).as_string(); }) == "expected str, got int");
  CHECK(message_of<a2w::InvalidArgument>([] { Value().as_dict(); }) == "expected dict, got none");
  CHECK(message_of<a2w::InvalidArgument>([] { Value(true).as_double(); }) == "expected float, got bool");
  CHECK(message_of<a2w::InvalidArgument>([] { Value(1.5).as_int(); }) == "expected int, got float 1.5");
  CHECK(message_of<a2w::InvalidArgument>([] {
          Value(Array::from({1.0f, 2.0f})).as_double();
        }) == "expected float, got float32 array of shape [2]");
  CHECK(message_of<a2w::InvalidArgument>([] { Value(List{}).as_array(); }) == "expected array, got list");
}

TEST_CASE("copies share containers and arrays, clone is deep") {
  Value a(Dict{{"x", Array::from({1.0f, 2.0f})}, {"l", List{1, 2}}});
  Value shallow = a;
  shallow.as_dict()["y"] = 3;
  CHECK(a.as_dict().contains("y"));  // same dict

  Value deep = a.clone();
  deep.as_dict()["x"].as_array().data<float>()[0] = 9.0f;
  deep.as_dict()["l"].as_list().push_back(3);
  CHECK(a.as_dict()["x"].as_array().data<float>()[0] == 1.0f);
  CHECK(a.as_dict()["l"].as_list().size() == 2);

  Dict d{{"a", Array::from({1, 2})}};
  Dict e = clone(d);
  e["a"].as_array().data<int>()[0] = 5;
  CHECK(d["a"].as_array().data<int>()[0] == 1);
}

TEST_CASE("get and get_or") {
  Dict d{{"n", 3}, {"f", 0.5}, {"b", true}, {"s", "text"}, {"none", Value()}};
  CHECK(get(d, "n").as_int() == 3);
  const std::string msg = message_of<a2w::NotFound>([&] { get(d, "missing"); });
  CHECK(msg == "expected key 'missing', got a dict with keys [b, f, n, none, s]");
  CHECK(get_or(d, "n", std::int64_t{0}) == 3);
  CHECK(get_or(d, "n", 0) == 3);  // int literal fallback
  CHECK(get_or(d, "f", 1.0) == 0.5);
  CHECK(get_or(d, "n", 1.0) == 3.0);
  CHECK(get_or(d, "b", false));
  CHECK(get_or(d, "s", "fallback") == "text");  // string literal fallback picks the string overload
  CHECK(get_or(d, "absent", "fallback") == "fallback");
  CHECK(get_or(d, "none", 7) == 7);
  CHECK(message_of<a2w::InvalidArgument>([&] { get_or(d, "s", 1.0); }) == "key 's': expected float, got str");
}
