#pragma once
// ActionNoise: Gaussian noise on executed actions, drawn from the episode's seed.
//
//   ActionNoise noise(0.1);        // standard deviation on the [-1, 1] action scale
//   noise.reset(episode_seed);     // at every reset
//   noise.apply(action, 7);        // each step: adds N(0, 0.1^2) per entry, then clips to [-1, 1]
//
// The task's `action_noise` key (a what-if perturbation, task_file.h) uses it: the physics task and
// A2World-sim both draw from the episode seed alone, so an episode with seed s sees the same noise sequence
// in either backend, whatever the batching, the thread count or the order in which envs finish. (Noise added
// by a policy wrapper, env::NoisyPolicy, follows the policy's own stream instead.)

#include <cstdint>

#include "a2w/env/rng.h"

namespace a2w::env {

class ActionNoise {
 public:
  // Throws InvalidArgument for a negative or non-finite stddev.
  explicit ActionNoise(double stddev = 0.0);

  double stddev() const { return stddev_; }
  bool enabled() const { return stddev_ > 0.0; }

  // Starts the episode's stream. The stream is a function of episode_seed only (a mix distinct from the
  // initial state's draws, so adding noise leaves the initial state of a seed unchanged).
  void reset(std::uint64_t episode_seed);
  // Adds noise to the n entries of `action` (one step) and clips each to [-1, 1]. Without noise it only
  // clips.
  void apply(float* action, int n);

 private:
  double stddev_;
  Rng rng_;
};

}  // namespace a2w::env
