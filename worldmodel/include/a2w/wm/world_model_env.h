#pragma once
// A2World-sim as an environment: a WorldModel (the built-in A2World network or a TorchScript module) stepped
// through the same Env and VectorEnv interfaces as the physics tasks, so the same policies run in both.
//
//   auto model = a2w::wm::load_world_model("models/a2world-default.a2wm");
//   a2w::wm::WorldModelVectorEnv sim(model, {.task = "a2w/LiftCube-v0", .num_envs = 16});
//   auto& r = sim.reset(7);                 // first frames: the physics task reset with the same seeds
//   auto& s = sim.step(actions);            // f32 [16, 7]; one WorldModel::predict for the whole batch
//
// An episode:
//   reset(seed)  resets the initial-state source env (by default the physics task of `task` at the model's
//                image size) with that seed. Its observation is the episode's first observation, bitwise:
//                its frames of every view (config().view_keys) become the anchor and fill the K context
//                frames, its proprio and instruction are returned as they are, and, when the source is a
//                JudgedEnv under its wrappers (the physics tasks are), it hands over a StateJudge for the
//                episode: the task's own success predicate (with its held() counters) and dense reward.
//   step(a)      every frame from now on is imagined. The rows that step form one batch: context uint8
//                [B, V, K, H, W, 3] (oldest first), anchor uint8 [B, V, H, W, 3], actions f32 [B, Ha, 7]
//                (the action clipped to [-1, 1] like physics, repeated Ha = config().action_horizon times:
//                the env is stepped one 20 Hz control step at a time, so a chunk model sees a constant
//                chunk), the task's row of config().tasks (-1 when absent), and per-row noise seeds
//                imagined_step_seed(episode seed, step index), so an episode imagines the same frames in
//                any batch, with any neighbours, in any slot. One predict() call steps them all; the
//                predicted frame is appended to the context (the oldest dropped).
// Observations have exactly the physics task's keys, dtypes and shapes (the source's observation space
// restricted to what is imagined): the views are the predicted frames, proprio comes from the predicted
// state vector (env/state.h: joint_states [0:7], gripper_states [7:9], ee_pos [9:12], ee_ori [12:15]),
// clipped into the observation space's bounds so an imagined observation is always a valid one (info
// "state/vector" keeps the raw prediction); instruction stays the episode's. Frames stay on the host
// whatever the model's device.
//
// Reward: the judge's reward on the predicted state (the success head's reward without a judge).
// terminated: the chosen success signal (option terminate_on) holds after the step:
//   predicate  (default) the task's own predicate on the predicted state, judged by the source's judge
//   head       the success head's probability > success_threshold (default 0.5)
//   either     predicate or head;   both   predicate and head
// truncated: the episode reached `horizon` steps (default: the source's max_episode_steps).
// Step info: "success" (the chosen signal, bool), "is_success" (the same), "success_predicate" (bool),
// "success_head" (probability, float), "reward_head" (float), "state/vector" (the predicted state, f32[32]),
// "state/mask" (the source's mask for the task, when it reports one), "imagined" (true). Reset info: the
// source's reset info plus "imagined" = false.
//
// The vector semantics (autoreset modes, episode seeds episode_seed(base, i, e), active masks, errors) are
// VectorEnv's (vector_env.h), exactly as ThreadedVectorEnv implements them. Actions are validated like
// physics: a wrong shape or dtype, or NaN/inf in a row that is used, throws InvalidArgument before anything
// is stepped. Not thread safe: step it from one thread (it is one batch; LibTorch parallelises inside).

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "a2w/env/env.h"
#include "a2w/env/rng.h"
#include "a2w/env/vector_env.h"

namespace a2w::wm {

class WorldModel;

// Which signal ends an imagined episode (see above).
enum class TerminateOn { kPredicate, kHead, kEither, kBoth };
std::string to_string(TerminateOn t);  // "predicate", "head", "either", "both"
// Throws InvalidArgument naming the valid values.
TerminateOn parse_terminate_on(std::string_view s);

// Seed of the sampling noise of imagined step `step` (0, 1, ...) of the episode with seed `episode_seed`.
std::uint64_t imagined_step_seed(std::uint64_t episode_seed, std::int64_t step);

// Builds the initial-state source: one Env whose reset(seed) gives an episode's first observation (a physics
// task, a dataset replay, a robot log). It must observe every view of config().view_keys as uint8
// [S, S, 3] at the model's image size S, and ee_pos, ee_ori, gripper_states, joint_states, instruction.
using SourceFactory = std::function<env::EnvPtr()>;

struct WorldModelEnvOptions {
  std::string task;  // the physics task imagined, e.g. "a2w/LiftCube-v0": source, task embedding row
  int num_envs = 1;
  env::AutoresetMode autoreset_mode = env::AutoresetMode::kNextStep;
  std::int64_t horizon = 0;  // 0: the source's max_episode_steps
  TerminateOn terminate_on = TerminateOn::kPredicate;
  double success_threshold = 0.5;  // on the success head's probability
  // empty: a2w::make(task, {{"image_size", the model's}}). A source whose spec().metadata has
  // "action_noise" > 0 (a task variant, tasks/task_file.h) has that noise added to every imagined episode's
  // actions, drawn from the episode's seed as the physics task does (env/action_noise.h).
  SourceFactory source;
  std::string id;  // spec().id; empty: sim_id_of(task) ("a2w-sim/LiftCube-v0")
};

class WorldModelVectorEnv final : public env::VectorEnv {
 public:
  // Builds the source once (one Env serves every slot: it is only reset, never stepped) and checks it
  // against the model: views, image size, proprio keys, state_dim == env::kStateDim. Throws
  // InvalidArgument naming what was expected and what came, e.g. a predicate-based terminate_on with a
  // source that cannot judge predicted states.
  WorldModelVectorEnv(std::shared_ptr<WorldModel> model, WorldModelEnvOptions options);
  ~WorldModelVectorEnv() override;
  WorldModelVectorEnv(const WorldModelVectorEnv&) = delete;
  WorldModelVectorEnv& operator=(const WorldModelVectorEnv&) = delete;

  int num_envs() const override;
  env::AutoresetMode autoreset_mode() const override;
  // The physics task's spec with id sim_id_of(task), max_episode_steps = horizon, and metadata adding
  // "imagined" (true), "source" (the source's id), "terminate_on", "success_threshold", "autoreset_mode".
  const env::EnvSpec& single_spec() const override;

  using VectorEnv::reset;
  using VectorEnv::step;
  const env::VectorResetResult& reset(std::optional<std::uint64_t> seed = std::nullopt,
                                      const env::Dict& options = {}) override;
  const env::VectorResetResult& reset(const std::vector<bool>& mask,
                                      const std::vector<std::uint64_t>& seeds) override;
  // reset(mask, seeds) with options for the source's reset().
  const env::VectorResetResult& reset(const std::vector<bool>& mask, const std::vector<std::uint64_t>& seeds,
                                      const env::Dict& source_options);
  const env::VectorStepResult& step(const env::Array& actions, const std::vector<bool>& active) override;
  void close() override;
  std::uint64_t episode_seed(int i) const override;
  std::int64_t episode_index(int i) const override;

  // Imagined steps taken in env i's current episode.
  std::int64_t elapsed_steps(int i) const;
  WorldModel& model();
  env::Env& source();
  const WorldModelEnvOptions& options() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One A2World-sim env (Env semantics, env.h): a WorldModelVectorEnv of one env in DISABLED mode.
// reset(seed) resets the source with exactly `seed` (so the first observation is the physics task's for
// that seed); reset() without a seed draws one from the env's own stream, Rng(0) as in the physics tasks.
// options.num_envs and options.autoreset_mode are ignored.
class WorldModelEnv final : public env::Env {
 public:
  WorldModelEnv(std::shared_ptr<WorldModel> model, WorldModelEnvOptions options);
  ~WorldModelEnv() override;

  const env::EnvSpec& spec() const override;
  // Options go to the source's reset().
  env::ResetResult reset(std::optional<std::uint64_t> seed = std::nullopt,
                         const env::Dict& options = {}) override;
  env::StepResult step(const env::Array& action) override;
  void close() override;
  // The current frames of every view side by side (uint8 [S, S * V, 3]).
  env::Array render() override;

  WorldModelVectorEnv& vector() { return *vec_; }

 private:
  std::unique_ptr<WorldModelVectorEnv> vec_;
  env::EnvSpec spec_;
  env::Rng stream_{0};  // seeds for reset() without one
  env::Dict last_obs_;  // for render()
  bool running_ = false;
  bool started_ = false;
};

}  // namespace a2w::wm
