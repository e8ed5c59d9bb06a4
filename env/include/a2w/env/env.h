#pragma once
// Env: one environment with Gymnasium 1.x semantics.
//
//   auto env = a2w::make("a2w/LiftCube-v0");
//   auto [obs, info] = env->reset(42);
//   while (true) {
//     auto s = env->step(action);            // s.obs, s.reward, s.terminated, s.truncated, s.info
//     if (s.terminated || s.truncated) break;
//   }
//
// `terminated`: the task reached a terminal state (success, failure); `truncated`: the episode was cut
// (time limit, diverged physics). After either, call reset() before step() again.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "a2w/env/space.h"
#include "a2w/env/value.h"

namespace a2w::env {

// What an env is, known before it runs: the spaces size every batch buffer, dataset and wire message.
struct EnvSpec {
  std::string id;                      // registry id, e.g. "a2w/LiftCube-v0"
  SpacePtr observation_space;          // a DictSpace
  SpacePtr action_space;               // a Box for every a2w task: f32[7] in [-1, 1]
  std::int64_t max_episode_steps = 0;  // 0: no limit applied by the env itself
  double control_hz = 0.0;             // steps per simulated second (20 for tasks)
  // Free-form facts: "render_fps", "cameras" (names, intrinsics, extrinsics), "autoreset_mode", ...
  Dict metadata;
};

struct ResetResult {
  Dict obs;
  Dict info;
};

struct StepResult {
  Dict obs;
  double reward = 0.0;
  bool terminated = false;
  bool truncated = false;
  Dict info;
};

class Env {
 public:
  virtual ~Env() = default;
  virtual const EnvSpec& spec() const = 0;

  // Starts an episode. A seed fixes the initial state exactly; without one the env's own stream continues.
  // Options are env specific (Gymnasium's `options`).
  virtual ResetResult reset(std::optional<std::uint64_t> seed = std::nullopt, const Dict& options = {}) = 0;
  // Advances one control step. Throws InvalidArgument for an action outside the action space's shape or
  // dtype, or containing NaN/inf, and a2w::Error when called before reset() or after an episode ended.
  virtual StepResult step(const Array& action) = 0;
  // Frees resources; the env is unusable afterwards. Safe to call twice.
  virtual void close() {}
  // A frame showing the scene as a person would look at it (all cameras side by side), or an invalid Array
  // when the env has nothing to show.
  virtual Array render() { return {}; }

  // The innermost env under any wrappers (Gymnasium's `unwrapped`).
  virtual Env& unwrapped() { return *this; }
};

using EnvPtr = std::unique_ptr<Env>;

}  // namespace a2w::env
