#pragma once
// run_rollout(): what `a2w rollout` does, as a library call: build a VectorEnv of one task, a policy by
// name, run N episodes from a seed, and optionally record a video and an HDF5 dataset.
//
//   a2w::bench::RolloutJob job{.task = "a2w/LiftCube-v0", .policy = "expert", .episodes = 20};
//   auto report = a2w::bench::run_rollout(job);   // report.summary.success_rate, ...
//
// The same job in A2World-sim: sim = "wm" with a checkpoint (or a sim id such as "a2w-sim/LiftCube-v0" as the
// task) runs the episodes, with the same seeds, in a batched WorldModelVectorEnv (one forward pass steps
// every env) whose first frames come from the physics task; the expert needs physics and is refused there.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "a2w/env/rollout.h"
#include "a2w/env/vector_env.h"

namespace a2w::bench {

// Policies by name: "expert" (the task's scripted expert, privileged state), "random" (uniform actions), a
// remote policy URL (zmq://, openpi://) or a policy file (wm/policy_loader.h). noise > 0: the expert's action
// noise, or Gaussian noise added to any other policy's actions (env::NoisyPolicy). Throws InvalidArgument
// listing the known names. `device` ("cpu", "cuda") is where a policy file's network runs.
std::unique_ptr<env::Policy> make_policy(const std::string& name, env::VectorEnv& envs, double noise,
                                         std::uint64_t seed, const std::string& device = "cpu");

struct RolloutJob {
  std::string task;             // registry id (a sim id "a2w-sim/..." implies sim = "wm")
  std::string sim = "physics";  // "physics" or "wm" (A2World-sim)
  std::string checkpoint;       // wm: a2w checkpoint or TorchScript module; empty: the shipped default
  std::string device = "cpu";   // "cpu" or "cuda": A2World-sim and a policy file's network
  std::string policy = "expert";
  double noise = 0.0;  // expert action noise (std of Gaussian noise on [-1, 1] actions)
  std::int64_t episodes = 10;
  std::uint64_t seed = 0;            // episode k starts from episode_seed(seed, k, 0)
  std::vector<std::uint64_t> seeds;  // when not empty: episode k starts from seeds[k] (episodes = its size)
  int num_envs = 0;                  // 0: min(episodes, 8)
  int num_threads = 0;               // 0: min(num_envs, cores)
  env::Dict env_options;             // passed to make(), e.g. {"image_size": 64} (wm: the sim options of
                                     // wm/register_sim.h, e.g. {"terminate_on": "head"})
  std::string video;                 // mp4 path of the first `video_episodes` episodes, cameras side by side
  std::int64_t video_episodes = 1;
  std::string record;      // HDF5 path: every episode as a demo (LIBERO/robomimic layout)
  bool overwrite = false;  // replace existing --video / --record files
  bool progress = true;    // progress bar on stderr
  // Called as each episode finishes (on the calling thread), e.g. to append it to a results file.
  std::function<void(const env::EpisodeMetrics&)> on_episode;
};

struct RolloutReport {
  std::string task, policy;
  env::RolloutSummary summary;
  std::vector<env::EpisodeMetrics> episodes;
  double seconds = 0.0;
  double steps_per_second = 0.0;

  env::Dict to_dict() const;
  std::string to_text() const;
};

RolloutReport run_rollout(const RolloutJob& job);

}  // namespace a2w::bench
