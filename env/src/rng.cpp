#include "a2w/env/rng.h"

#include <cmath>
#include <numbers>

#include "a2w/env/error.h"

namespace a2w::env {

namespace {

constexpr std::uint64_t rotl(std::uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}

}  // namespace

void Rng::reseed(std::uint64_t seed) {
  // The state is the first four outputs of a SplitMix64 generator started at `seed` (the seeding Vigna
  // recommends). SplitMix64 is a bijection of distinct inputs, so the state is never all zero.
  for (int i = 0; i < 4; ++i)
    s_[i] = splitmix64(seed + static_cast<std::uint64_t>(i) * 0x9E3779B97F4A7C15ull);
}

std::uint64_t Rng::next_u64() {
  // xoshiro256** 1.0 (Blackman, Vigna 2018).
  const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

double Rng::uniform() {
  // The top 53 bits give every double of the form k / 2^53 in [0, 1) with equal probability.
  return static_cast<double>(next_u64() >> 11) * 0x1.0p-53;
}

std::uint64_t Rng::below(std::uint64_t n) {
  if (n == 0) throw InvalidArgument("Rng::below: expected n > 0, got 0");
  // Rejection of the lowest (2^64 mod n) outputs removes the modulo bias; it rejects with probability <
  // n/2^64.
  const std::uint64_t threshold = (0 - n) % n;
  while (true) {
    const std::uint64_t r = next_u64();
    if (r >= threshold) return r % n;
  }
}

double Rng::normal() {
  // Box-Muller with both uniforms drawn on every call: u1 in (0, 1] keeps log finite.
  const double u1 = 1.0 - uniform();
  const double u2 = uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

}  // namespace a2w::env
