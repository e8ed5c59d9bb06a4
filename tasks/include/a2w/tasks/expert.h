#pragma once
// The scripted expert: runs a task's waypoint program (task_def.h, WaypointDef) closed-loop on the
// simulator's privileged state, for data collection and as a reference policy.
//
//   a2w::env::ThreadedVectorEnv envs(factory, {.num_envs = 8});
//   a2w::tasks::ExpertPolicy expert(envs, /*noise=*/0.1, /*seed=*/7);
//   auto episodes = a2w::env::rollout(envs, expert, {.episodes = 100});
//
// Noise: Gaussian action noise of std `noise` on every dimension, and for noise >= 0.1 also occasional short
// bursts of uniformly random actions (about noise * 4 % of steps start one, 2 to 6 steps long), so data
// collected at a noise level covers failures and the expert's recoveries from them. With noise 0 the expert
// is deterministic given the episode seed.

#include <array>
#include <cstdint>
#include <vector>

#include "a2w/env/policy.h"
#include "a2w/env/rng.h"
#include "a2w/env/vector_env.h"
#include "a2w/tasks/task_env.h"

namespace a2w::tasks {

// Where one env's expert is in its program. Reset it (= ExpertState{}) when an episode starts; the expert
// also restarts by itself when it sees a new episode of the env.
struct ExpertState {
  std::int64_t episode = -1;       // TaskEnv::episode_index() the program runs for
  std::size_t pc = 0;              // current waypoint
  int steps = 0;                   // control steps spent in it
  int phase = 0;                   // sub-phase of composite waypoints (push, recovery)
  double gripper = -1.0;           // current gripper command
  std::array<double, 3> anchor{};  // position remembered when the waypoint started
  double anchor_yaw = 0.0;         // gripper yaw remembered when the waypoint started
  int restarts = 0;
  bool recovering = false;  // backing off before restarting the program
  int burst_left = 0;       // steps left in a random-action burst
  std::array<float, 7> burst{};
  int settled = 0;  // consecutive steps a completion condition held
};

// One expert action (f32 [7]) for `env`'s current state, advancing `state`. `rng` draws the noise.
env::Array expert_action(TaskEnv& env, ExpertState& state, env::Rng& rng, double noise);
// The same without noise, as raw values.
std::array<float, 7> expert_action_clean(TaskEnv& env, ExpertState& state);

// A Policy over a VectorEnv of TaskEnvs (possibly wrapped): env i is reached via envs.env(i).unwrapped().
class ExpertPolicy final : public env::Policy {
 public:
  // Throws InvalidArgument when an env is not a TaskEnv or noise is negative.
  ExpertPolicy(env::VectorEnv& envs, double noise, std::uint64_t seed);
  std::string name() const override;
  // f32 [B, 7]; `obs` is not read (the expert uses privileged state).
  env::Array act(const env::Dict& obs) override;
  void reset(const std::vector<bool>& mask) override;

 private:
  env::VectorEnv& envs_;
  double noise_;
  std::uint64_t seed_;
  std::vector<TaskEnv*> task_envs_;
  std::vector<ExpertState> states_;
  std::vector<env::Rng> rngs_;
};

}  // namespace a2w::tasks
