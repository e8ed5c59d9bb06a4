#pragma once
// Randomness. Every random draw in a2w comes from an Rng seeded by a 64-bit value, and every episode's seed
// is derived from (base seed, env index, episode index) by a counter-based mix, so results do not depend on
// thread count, batch size or the order in which envs finish.

#include <cstdint>

namespace a2w::env {

// SplitMix64 finaliser: a bijective 64-bit mix (Steele, Lea, Flood 2014).
constexpr std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// Seed of episode `episode` of env `env_index` in a run with base seed `base`.
constexpr std::uint64_t episode_seed(std::uint64_t base, std::uint64_t env_index, std::uint64_t episode) {
  return splitmix64(splitmix64(splitmix64(base) ^ (env_index * 0xD1B54A32D192ED03ull)) ^
                    (episode * 0x8CB92BA72F3D8DD7ull));
}

// xoshiro256** seeded through SplitMix64: small, fast, identical on every platform (unlike std::
// distributions, whose outputs differ between standard libraries; we implement our own below).
class Rng {
 public:
  explicit Rng(std::uint64_t seed = 0) { reseed(seed); }
  void reseed(std::uint64_t seed);

  std::uint64_t next_u64();
  // Uniform in [0, 1).
  double uniform();
  // Uniform in [lo, hi).
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  // Uniform integer in [0, n), unbiased; throws InvalidArgument for n == 0.
  std::uint64_t below(std::uint64_t n);
  // Standard normal (Box-Muller, no cached second value, so the stream depends only on the call count).
  double normal();
  double normal(double mean, double stddev) { return mean + stddev * normal(); }

 private:
  std::uint64_t s_[4];
};

}  // namespace a2w::env
