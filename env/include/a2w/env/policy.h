#pragma once
// Policy: batched observations in, actions out. Any controller that a2w steps (scripted, random, learned
// in-process, TorchScript, remote over ZeroMQ or OpenPI) implements this.
//
// act() gets a batch Dict as VectorEnv returns it (arrays [B, ...], texts a List) and returns either
// f32 [B, A] (one action per env) or f32 [B, H, A] (an action chunk per env; the rollout executes it).

#include <memory>
#include <string>
#include <vector>

#include "a2w/env/space.h"
#include "a2w/env/value.h"

namespace a2w::env {

class Policy {
 public:
  virtual ~Policy() = default;
  virtual std::string name() const = 0;
  virtual Array act(const Dict& obs) = 0;
  // Env i (mask[i]) starts a new episode: drop any state kept for it. Called before the first act() of the
  // episode. Default: stateless.
  virtual void reset(const std::vector<bool>& mask) { (void)mask; }
};

// Samples of a Box action space (uniform when bounded, see Box::sample), seeded: row i of each act() is the
// next draw of one stream, so the same seed and batch sizes give the same actions. Throws InvalidArgument
// for a non-Box space.
class RandomPolicy final : public Policy {
 public:
  RandomPolicy(SpacePtr action_space, std::uint64_t seed);
  std::string name() const override { return "random"; }
  Array act(const Dict& obs) override;

 private:
  SpacePtr space_;
  Rng rng_;
};

// Another policy with Gaussian noise on its actions: every element of act()'s output (one action [B, A] or a
// chunk [B, H, A], float32 in [-1, 1]) gets N(0, stddev) added from one seeded stream, then is clipped to
// [-1, 1]; the action-noise variants of a policy population ("policy@0.3"). Throws InvalidArgument for a
// negative or non-finite stddev, or an inner output that is not float32.
class NoisyPolicy final : public Policy {
 public:
  NoisyPolicy(std::unique_ptr<Policy> inner, double stddev, std::uint64_t seed);
  std::string name() const override;
  Array act(const Dict& obs) override;
  void reset(const std::vector<bool>& mask) override { inner_->reset(mask); }

 private:
  std::unique_ptr<Policy> inner_;
  double stddev_;
  Rng rng_;
};

}  // namespace a2w::env
