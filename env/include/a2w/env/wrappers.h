#pragma once
// The common wrappers, with Gymnasium 1.x semantics (gymnasium/wrappers): TimeLimit, ActionRepeat
// (Gymnasium's RepeatAction), ClipAction, RescaleAction, FrameStack (FrameStackObservation) and
// RecordEpisodeStatistics. Each owns the env it wraps and changes only what its name says.
//
//   EnvPtr env = a2w::make("a2w/LiftCube-v0");
//   env = std::make_unique<TimeLimit>(std::move(env), 200);
//   env = std::make_unique<RecordEpisodeStatistics>(std::move(env));
//
// RecordVideo and RecordEpisode (recording) live in their own headers.

#include <chrono>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "a2w/env/wrapper.h"

namespace a2w::env {

// Truncates the episode after `max_steps` steps: that step returns truncated = true (whatever terminated
// says) and info["TimeLimit.truncated"] = !terminated, i.e. true when the time limit and not a terminal state
// ended the episode (old Gym's flag, kept for code that reads it). spec().max_episode_steps becomes
// max_steps. Stepping again before reset() throws a2w::Error.
class TimeLimit final : public Wrapper {
 public:
  // max_steps == 0: the wrapped env's spec().max_episode_steps, which must then be positive.
  explicit TimeLimit(EnvPtr env, std::int64_t max_steps = 0);
  const EnvSpec& spec() const override { return spec_; }
  ResetResult reset(std::optional<std::uint64_t> seed = std::nullopt, const Dict& options = {}) override;
  StepResult step(const Array& action) override;

  std::int64_t max_steps() const { return max_steps_; }
  // Steps taken in the current episode.
  std::int64_t elapsed_steps() const { return elapsed_; }

 private:
  EnvSpec spec_;
  std::int64_t max_steps_;
  std::int64_t elapsed_ = 0;
  bool cut_ = false;  // this wrapper truncated the episode
};

// Repeats each action `n` times and returns the sum of the rewards and the last observation and info,
// stopping early when the episode ends (so no step is taken past an episode's end). max_episode_steps
// becomes ceil(inner / n) and control_hz inner / n.
class ActionRepeat final : public Wrapper {
 public:
  ActionRepeat(EnvPtr env, int n);
  const EnvSpec& spec() const override { return spec_; }
  StepResult step(const Array& action) override;
  int repeats() const { return n_; }

 private:
  EnvSpec spec_;
  int n_;
};

// Clips every action to the bounds of the wrapped env's Box action space before stepping it. The advertised
// action space becomes Box(-inf, inf) of the same shape and dtype, as in Gymnasium; a wrong shape or dtype,
// or NaN, still throws InvalidArgument.
class ClipAction final : public Wrapper {
 public:
  explicit ClipAction(EnvPtr env);
  const EnvSpec& spec() const override { return spec_; }
  StepResult step(const Array& action) override;

 private:
  EnvSpec spec_;
  const Box* inner_box_;
};

// Maps actions from [min_action, max_action] (in every dimension) linearly onto the wrapped env's bounded
// Box action space, clipping the result to its bounds (Gymnasium's RescaleAction). The advertised action
// space becomes Box(min_action, max_action).
class RescaleAction final : public Wrapper {
 public:
  RescaleAction(EnvPtr env, double min_action, double max_action);
  const EnvSpec& spec() const override { return spec_; }
  StepResult step(const Array& action) override;

 private:
  EnvSpec spec_;
  const Box* inner_box_;
  double min_, max_;
};

// Replaces each observation array named in `keys` (all Box observations when empty) of shape S by the last
// `n` of them stacked on a new leading axis, [n, ...S], oldest first. After reset() every slot holds the
// reset observation (Gymnasium's padding_type="reset"). The observation space's Boxes become [n, ...S].
class FrameStack final : public Wrapper {
 public:
  FrameStack(EnvPtr env, int n, std::vector<std::string> keys = {});
  const EnvSpec& spec() const override { return spec_; }
  ResetResult reset(std::optional<std::uint64_t> seed = std::nullopt, const Dict& options = {}) override;
  StepResult step(const Array& action) override;
  const std::vector<std::string>& keys() const { return keys_; }

 private:
  void push(Dict& obs, bool fill);

  EnvSpec spec_;
  int n_;
  std::vector<std::string> keys_;
  std::vector<std::deque<Array>> frames_;  // per key, oldest first
};

// At the end of each episode (terminated or truncated) adds info["episode"] = {"r": return (float),
// "l": length in steps (int), "t": wall-clock seconds since reset (float, 6 decimals)}, like Gymnasium's
// RecordEpisodeStatistics, and keeps the last `buffer_length` returns, lengths and times.
class RecordEpisodeStatistics final : public Wrapper {
 public:
  explicit RecordEpisodeStatistics(EnvPtr env, std::size_t buffer_length = 100);
  ResetResult reset(std::optional<std::uint64_t> seed = std::nullopt, const Dict& options = {}) override;
  StepResult step(const Array& action) override;

  const std::deque<double>& returns() const { return returns_; }
  const std::deque<std::int64_t>& lengths() const { return lengths_; }
  const std::deque<double>& times() const { return times_; }
  std::int64_t episode_count() const { return episode_count_; }

 private:
  std::size_t buffer_length_;
  double return_ = 0.0;
  std::int64_t length_ = 0;
  std::chrono::steady_clock::time_point start_;
  std::deque<double> returns_;
  std::deque<std::int64_t> lengths_;
  std::deque<double> times_;
  std::int64_t episode_count_ = 0;
};

}  // namespace a2w::env
