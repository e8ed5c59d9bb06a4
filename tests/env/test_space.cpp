#include <a2w/env/space.h>
#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "test_util.h"

using namespace a2w::env;
using a2w::test::contains;
using a2w::test::message_of;

namespace {

// Samples `n` values with a fresh Rng(seed) and checks each is contained.
std::vector<Value> samples(const Space& s, std::uint64_t seed, int n = 50) {
  Rng rng(seed);
  std::vector<Value> out;
  for (int i = 0; i < n; ++i) {
    out.push_back(s.sample(rng));
    INFO(s.str(), ": ", s.why_not(out.back()));
    REQUIRE(s.contains(out.back()));
  }
  return out;
}

bool same(const Value& a, const Value& b) {
  if (a.kind() != b.kind()) return false;
  if (a.is_array()) return a.as_array().equals(b.as_array());
  if (a.is_int()) return a.as_int() == b.as_int();
  if (a.is_string()) return a.as_string() == b.as_string();
  if (a.is_list()) {
    if (a.as_list().size() != b.as_list().size()) return false;
    for (std::size_t i = 0; i < a.as_list().size(); ++i)
      if (!same(a.as_list()[i], b.as_list()[i])) return false;
    return true;
  }
  if (a.is_dict()) {
    if (a.as_dict().size() != b.as_dict().size()) return false;
    for (const auto& [k, v] : a.as_dict())
      if (!b.as_dict().contains(k) || !same(v, b.as_dict().at(k))) return false;
    return true;
  }
  return false;
}

// Same seed, same samples; another seed, other samples.
void check_seeded(const Space& s) {
  const auto a = samples(s, 1), b = samples(s, 1), c = samples(s, 2);
  bool all_same = true, any_diff = false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    all_same = all_same && same(a[i], b[i]);
    any_diff = any_diff || !same(a[i], c[i]);
  }
  CHECK(all_same);
  CHECK(any_diff);
}

}  // namespace

TEST_CASE("Box contains checks dtype, shape and bounds") {
  Box b(-1.0, 1.0, {7});
  CHECK(b.str() == "Box(-1.0, 1.0, (7,), float32)");
  CHECK(b.bounded());
  Array ok(DType::kFloat32, {7});
  CHECK(b.contains(Value(ok)));
  CHECK(b.why_not(Value(Array(DType::kFloat64, {3}))) ==
        "expected float32 array of shape [7], got float64 array of shape [3]");
  CHECK(b.why_not(Value(2.0)) == "expected float32 array of shape [7], got float");
  ok.data<float>()[3] = 1.5f;
  CHECK(b.why_not(Value(ok)) == "expected values in [-1.0, 1.0], got 1.5 at index [3]");
  ok.data<float>()[3] = NAN;
  CHECK_FALSE(b.contains(Value(ok)));
  CHECK(contains(b.why_not(Value(ok)), "got nan"));
  CHECK(message_of<a2w::InvalidArgument>([&] { b.check(Value(ok), "action"); }) ==
        "action: expected values in [-1.0, 1.0], got nan at index [3]");

  Box img(0, 255, {4, 4, 3}, DType::kUInt8);
  CHECK(img.str() == "Box(0, 255, (4, 4, 3), uint8)");
  Box mixed(Array::from({-1.0f, 0.0f}), Array::from({1.0f, 2.5f}));
  CHECK(mixed.str() == "Box([-1.0, 0.0], [1.0, 2.5], (2,), float32)");
  CHECK_THROWS_AS(Box(Array::from({1.0f}), Array::from({0.0f})), a2w::InvalidArgument);
  CHECK_THROWS_AS(Box(Array::from({1.0f}), Array::from({1.0, 2.0})), a2w::InvalidArgument);
  // Integer boxes clamp infinite bounds to the dtype's range.
  Box ints(-INFINITY, INFINITY, {}, DType::kInt64);
  CHECK(ints.low().item<std::int64_t>() == std::numeric_limits<std::int64_t>::lowest());
  CHECK(ints.contains(Value(Array::scalar(std::numeric_limits<std::int64_t>::max()))));
}

TEST_CASE("Box samples follow Gymnasium's rules and are seeded") {
  Box bounded(-2.0, 3.0, {1000});
  check_seeded(bounded);
  Rng rng(3);
  const Array u = bounded.sample(rng).as_array();
  double mean = 0;
  for (float v : u.span<float>()) mean += v / 1000.0;
  CHECK(std::abs(mean - 0.5) < 0.15);

  Box unbounded(-INFINITY, INFINITY, {1000}, DType::kFloat64);
  CHECK_FALSE(unbounded.bounded());
  const Array z = unbounded.sample(rng).as_array();
  double zm = 0;
  bool any_negative = false;
  for (double v : z.span<double>()) {
    zm += v / 1000.0;
    any_negative = any_negative || v < 0;
  }
  CHECK(std::abs(zm) < 0.15);
  CHECK(any_negative);

  Box low_only(1.0, INFINITY, {200});
  Box high_only(-INFINITY, -1.0, {200});
  check_seeded(low_only);
  check_seeded(high_only);

  Box ints(-3, 3, {500}, DType::kInt32);
  check_seeded(ints);
  const Array iv = ints.sample(rng).as_array();
  bool saw_low = false, saw_high = false;
  for (std::int32_t v : iv.span<std::int32_t>()) {
    saw_low = saw_low || v == -3;
    saw_high = saw_high || v == 3;
  }
  CHECK(saw_low);  // both ends are reachable: integers are sampled as integers
  CHECK(saw_high);
  check_seeded(Box(0, 255, {8, 8, 3}, DType::kUInt8));
  check_seeded(Box(-INFINITY, INFINITY, {4}, DType::kInt64));
  samples(Box(0, 1, {16}, DType::kBool), 4);
}

TEST_CASE("Discrete") {
  Discrete d(5, 2);
  CHECK(d.str() == "Discrete(5, start=2)");
  CHECK(Discrete(3).str() == "Discrete(3)");
  CHECK(d.contains(Value(2)));
  CHECK(d.contains(Value(6)));
  CHECK_FALSE(d.contains(Value(7)));
  CHECK(d.why_not(Value(7)) == "expected an int in [2, 7), got 7");
  CHECK(d.why_not(Value("a")) == "expected an int in [2, 7), got str");
  CHECK(d.contains(Value(Array::scalar(std::int64_t{3}))));  // a batch row of Discrete actions
  CHECK_FALSE(d.contains(Value(Array::scalar(3.0f))));
  CHECK_THROWS_AS(Discrete(0), a2w::InvalidArgument);
  check_seeded(d);
}

TEST_CASE("MultiDiscrete and MultiBinary") {
  MultiDiscrete md({3, 4});
  CHECK(md.str() == "MultiDiscrete([3, 4])");
  CHECK(md.contains(Value(Array::from(std::vector<std::int64_t>{2, 3}, {2}))));
  CHECK(md.why_not(Value(Array::from(std::vector<std::int64_t>{3, 0}, {2}))) ==
        "expected a value in [0, 3) at index 0, got 3");
  CHECK(md.why_not(Value(Array::from({1, 2}))) ==
        "expected int64 array of shape [2], got int32 array of shape [2]");
  check_seeded(md);

  MultiBinary mb(4);
  CHECK(mb.str() == "MultiBinary(4)");
  CHECK(mb.contains(Value(Array::from(std::vector<std::uint8_t>{0, 1, 1, 0}, {4}))));
  CHECK(mb.why_not(Value(Array::from(std::vector<std::uint8_t>{0, 2, 1, 0}, {4}))) ==
        "expected 0 or 1 at index 1, got 2");
  CHECK_FALSE(mb.contains(Value(Array(DType::kInt32, {4}))));
  check_seeded(mb);
}

TEST_CASE("Text") {
  Text t(5, 1, "abc");
  CHECK(t.str() == "Text(1, 5, charset=abc)");
  CHECK(Text(64).str() == "Text(0, 64)");
  CHECK(t.contains(Value("abca")));
  CHECK(t.why_not(Value("")) == "expected str of 1 to 5 characters, got 0 characters");
  CHECK(t.why_not(Value("abd")) == "expected characters from the charset, got 'd' at index 2");
  CHECK(t.why_not(Value(1)) == "expected str of 1 to 5 characters, got int");
  CHECK(Text(64).contains(Value("pick up the red cube.")));
  CHECK_FALSE(Text(64).contains(Value("tab\there")));
  CHECK_THROWS_AS(Text(1, 2), a2w::InvalidArgument);
  check_seeded(t);
  check_seeded(Text(20));
}

TEST_CASE("Dict and Tuple spaces") {
  auto obs = dict({{"b", box(-1, 1, {2})}, {"a", discrete(3)}, {"s", text(8)}});
  const auto& d = static_cast<const DictSpace&>(*obs);
  CHECK(d.spaces()[0].first == "a");  // sorted
  CHECK(d.str() == "Dict('a': Discrete(3), 'b': Box(-1.0, 1.0, (2,), float32), 's': Text(0, 8))");
  CHECK(d.has("b"));
  CHECK_FALSE(d.has("c"));
  CHECK(message_of<a2w::NotFound>([&] { d.at("c"); }) ==
        "Dict space: expected one of the keys [a, b, s], got 'c'");
  Dict v{{"a", 1}, {"b", Array::from({0.0f, 0.5f})}, {"s", "hi"}};
  CHECK(d.contains(Value(v)));
  Dict missing{{"a", 1}, {"b", Array::from({0.0f, 0.5f})}};
  CHECK(d.why_not(Value(missing)) == "expected dict with keys [a, b, s], got no key 's'");
  Dict extra = v;
  extra["z"] = 1;
  CHECK(d.why_not(Value(extra)) == "expected dict with keys [a, b, s], got unexpected key 'z'");
  Dict bad = v;
  bad["b"] = Array::from({0.0f, 5.0f});
  CHECK(d.why_not(Value(bad)) == "key 'b': expected values in [-1.0, 1.0], got 5.0 at index [1]");
  CHECK_THROWS_AS(DictSpace({{"a", discrete(2)}, {"a", discrete(3)}}), a2w::InvalidArgument);
  check_seeded(d);

  TupleSpace t({discrete(2), box(0, 1, {1})});
  CHECK(t.str() == "Tuple(Discrete(2), Box(0.0, 1.0, (1,), float32))");
  CHECK(t.contains(Value(List{1, Array::from({0.5f})})));
  CHECK(t.why_not(Value(List{1})) == "expected list of 2 values, got 1");
  CHECK(t.why_not(Value(List{2, Array::from({0.5f})})) == "element 0: expected an int in [0, 2), got 2");
  check_seeded(t);
}

TEST_CASE("array_layout") {
  CHECK(array_layout(Box(-1, 1, {7})) == std::pair<DType, Shape>{DType::kFloat32, {7}});
  CHECK(array_layout(Discrete(4)) == std::pair<DType, Shape>{DType::kInt64, {}});
  CHECK(array_layout(MultiBinary(3)) == std::pair<DType, Shape>{DType::kUInt8, {3}});
  CHECK_THROWS_AS(array_layout(Text(3)), a2w::InvalidArgument);
}
