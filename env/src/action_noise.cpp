#include "a2w/env/action_noise.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "a2w/env/error.h"

namespace a2w::env {

ActionNoise::ActionNoise(double stddev) : stddev_(stddev) {
  if (!std::isfinite(stddev) || stddev < 0)
    throw InvalidArgument("action noise: expected a standard deviation >= 0, got " + std::to_string(stddev));
}

void ActionNoise::reset(std::uint64_t episode_seed) {
  // An odd constant of its own: the noise stream never coincides with the episode's initial-state stream.
  rng_.reseed(splitmix64(episode_seed ^ 0x6E01'5EA5'C7A1'0001ull));
}

void ActionNoise::apply(float* action, int n) {
  for (int i = 0; i < n; ++i) {
    const double noisy = stddev_ > 0 ? action[i] + stddev_ * rng_.normal() : action[i];
    action[i] = static_cast<float>(std::clamp(noisy, -1.0, 1.0));
  }
}

}  // namespace a2w::env
