#pragma once
// collect(): what `a2w collect` does: run the scripted expert of many tasks at several noise levels and
// record every episode into one dataset folder, the training data of A2World and of behaviour cloning.
//
//   <out>/<Task>-v0/noise<level>_env<slot>_<index>.hdf5   LIBERO/robomimic layout (env/hdf5_writer.h)
//   <out>/manifest.json                                     tasks, options, files, per-task success rates
//
// Noise matters: world models trained on expert-only data ignore actions they never saw, so collected data
// should cover failures and recoveries (DESIGN.md). Episode seeds are episode_seed(seed', k, 0) with
// seed' = episode_seed(seed, task index, noise index), so every (task, noise) run is reproducible alone.
// Files are final only when complete (temp file + rename); a killed collect keeps every closed file.

#include <cstdint>
#include <string>
#include <vector>

#include "a2w/env/value.h"

namespace a2w::bench {

struct CollectJob {
  std::vector<std::string> tasks;          // registry ids; empty: every built-in "a2w/" task
  std::int64_t episodes = 50;              // per task and noise level
  std::vector<double> noise_levels{0.0, 0.1, 0.3};
  std::uint64_t seed = 0;
  std::string out;                         // dataset folder (created)
  env::Dict env_options{{"image_size", 64}};
  int num_envs = 0;                        // 0: 2 x cores
  int num_threads = 0;                     // 0: cores
  std::int64_t episodes_per_file = 50;
  bool overwrite = false;
  bool progress = true;
};

struct CollectReport {
  struct Run {
    std::string task;
    double noise = 0.0;
    std::int64_t episodes = 0, steps = 0;
    double success_rate = 0.0;
  };
  std::string out;
  std::vector<Run> runs;
  std::vector<std::string> files;
  double seconds = 0.0;

  env::Dict to_dict() const;
  std::string to_text() const;
};

CollectReport collect(const CollectJob& job);

}  // namespace a2w::bench
