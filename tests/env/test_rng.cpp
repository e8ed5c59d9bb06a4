#include <a2w/env/error.h>
#include <a2w/env/rng.h>
#include <doctest/doctest.h>

#include <cmath>
#include <set>
#include <vector>

using namespace a2w::env;

TEST_CASE("splitmix64 and episode_seed are the published mix") {
  static_assert(splitmix64(0) == 0xE220A8397B1DCDAFull);
  CHECK(splitmix64(0) == 0xE220A8397B1DCDAFull);
  // Reference values from an independent implementation of the same formulas.
  CHECK(episode_seed(1, 2, 3) == 0xEF6DF66C0A54B8F2ull);
  std::set<std::uint64_t> seen;
  for (std::uint64_t i = 0; i < 16; ++i)
    for (std::uint64_t e = 0; e < 16; ++e) seen.insert(episode_seed(7, i, e));
  CHECK(seen.size() == 256);
  CHECK(episode_seed(7, 0, 1) != episode_seed(7, 1, 0));
}

TEST_CASE("xoshiro256** first outputs are fixed") {
  Rng r(0);
  CHECK(r.next_u64() == 0x99EC5F36CB75F2B4ull);
  CHECK(r.next_u64() == 0xBF6E1F784956452Aull);
  CHECK(r.next_u64() == 0x1A5F849D4933E6E0ull);
  Rng s(42);
  CHECK(s.next_u64() == 0x15780B2E0C2EC716ull);
  s.reseed(0);
  CHECK(s.next_u64() == 0x99EC5F36CB75F2B4ull);
}

TEST_CASE("Rng streams are reproducible and distributions are sane") {
  Rng a(123), b(123), c(124);
  for (int i = 0; i < 100; ++i) {
    const std::uint64_t x = a.next_u64();
    CHECK(x == b.next_u64());
    CHECK(x != c.next_u64());
  }
  Rng r(5);
  double sum = 0, sum2 = 0;
  std::vector<int> buckets(10, 0);
  const int n = 100000;
  for (int i = 0; i < n; ++i) {
    const double u = r.uniform();
    REQUIRE(u >= 0.0);
    REQUIRE(u < 1.0);
    const std::uint64_t k = r.below(10);
    REQUIRE(k < 10);
    ++buckets[k];
    const double z = r.normal();
    sum += z;
    sum2 += z * z;
  }
  for (int count : buckets) CHECK(std::abs(count - n / 10) < 600);  // ~6 standard deviations
  CHECK(std::abs(sum / n) < 0.02);
  CHECK(std::abs(sum2 / n - 1.0) < 0.03);
  CHECK(r.below(1) == 0);
  CHECK_THROWS_AS(r.below(0), a2w::InvalidArgument);
  const double v = r.uniform(-2.0, -1.0);
  CHECK(v >= -2.0);
  CHECK(v < -1.0);
}
