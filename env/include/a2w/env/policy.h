#pragma once
// Policy: batched observations in, actions out. Any controller that a2w steps (scripted, random, learned
// in-process, TorchScript, remote over ZeroMQ or OpenPI) implements this.
//
// act() gets a batch Dict as VectorEnv returns it (arrays [B, ...], texts a List) and returns either
// f32 [B, A] (one action per env) or f32 [B, H, A] (an action chunk per env; the rollout executes it).

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "a2w/env/rng.h"
#include "a2w/env/space.h"
#include "a2w/env/value.h"

namespace a2w::env {

class Policy {
 public:
  virtual ~Policy() = default;
  virtual std::string name() const = 0;
  virtual Array act(const Dict& obs) = 0;
  // act() when only the envs with wanted[i] take the output (wanted.size() is the batch size): the rollout
  // loop asks for actions when any env has run out of its action chunk, and the others keep executing theirs
  // and discard what comes back. A policy that keeps per-episode state (a frame history, a step count,
  // per-row random streams) overrides this so that the rows that discard do not advance it, so an episode's
  // actions do not depend on when its neighbours in the batch needed theirs; it may leave those rows' output
  // zero. Default: act(obs).
  virtual Array act_rows(const Dict& obs, const std::vector<bool>& wanted) {
    (void)wanted;
    return act(obs);
  }
  // Env i (mask[i]) starts a new episode: drop any state kept for it. Called before the first act() of the
  // episode. Default: stateless.
  virtual void reset(const std::vector<bool>& mask) { (void)mask; }
  // The same with the episodes' seeds (seeds[i] for env i where mask[i]; other entries mean nothing), which
  // the rollout loop always gives: a policy that draws random numbers seeds each episode's stream from its
  // episode so that the episode's actions do not depend on which other episodes share the batch, on the
  // slot, on sharding or on the simulator (physics or A2World-sim) that runs it. Default: reset(mask).
  virtual void reset(const std::vector<bool>& mask, const std::vector<std::uint64_t>& seeds) {
    (void)seeds;
    reset(mask);
  }
};

// One random stream per batch row for the policies below. A row's stream restarts at every episode: from
// (policy seed, episode seed) when the reset gives seeds (the rollout loop does), so an episode sees the same
// draws however it is batched; from (policy seed, row, episodes begun in the row) otherwise, and from
// (policy seed, row) before any reset.
class RowStreams {
 public:
  explicit RowStreams(std::uint64_t seed) : seed_(seed) {}
  void reset(const std::vector<bool>& mask, const std::vector<std::uint64_t>* seeds);
  // The stream of row i of a batch of `rows` (rows beyond the last reset start fresh).
  Rng& row(std::int64_t i, std::int64_t rows);

 private:
  void grow(std::size_t n);
  std::uint64_t seed_;
  std::vector<Rng> rows_;
  std::vector<std::uint64_t> begun_;
};

// Samples of a Box action space (uniform when bounded, see Box::sample), seeded: row i of each act() draws
// from its own stream (RowStreams), so an episode's actions depend on the policy seed and the episode seed
// only. Throws InvalidArgument for a non-Box space.
class RandomPolicy final : public Policy {
 public:
  RandomPolicy(SpacePtr action_space, std::uint64_t seed);
  std::string name() const override { return "random"; }
  Array act(const Dict& obs) override;
  void reset(const std::vector<bool>& mask) override { streams_.reset(mask, nullptr); }
  void reset(const std::vector<bool>& mask, const std::vector<std::uint64_t>& seeds) override {
    streams_.reset(mask, &seeds);
  }

 private:
  SpacePtr space_;
  RowStreams streams_;
};

// Another policy with Gaussian noise on its actions: every element of act()'s output (one action [B, A] or a
// chunk [B, H, A], float32 in [-1, 1]) gets N(0, stddev) added from its row's stream (RowStreams), then is
// clipped to [-1, 1]; the action-noise variants of a policy population ("policy@0.3"). Resets reach the
// inner policy with their seeds. Throws InvalidArgument for a negative or non-finite stddev, or an inner
// output that is not float32.
class NoisyPolicy final : public Policy {
 public:
  NoisyPolicy(std::unique_ptr<Policy> inner, double stddev, std::uint64_t seed);
  std::string name() const override;
  Array act(const Dict& obs) override;
  // Asks the inner policy for the same rows and draws noise for the wanted rows only.
  Array act_rows(const Dict& obs, const std::vector<bool>& wanted) override;
  void reset(const std::vector<bool>& mask) override;
  void reset(const std::vector<bool>& mask, const std::vector<std::uint64_t>& seeds) override;

 private:
  std::unique_ptr<Policy> inner_;
  double stddev_;
  RowStreams streams_;
};

}  // namespace a2w::env
