#pragma once
// bench_env(): VectorEnv throughput on a physics task, each figure beside a raw baseline measured in the
// same run, because shared machines are noisy and only ratios compare across them.
//
//   state-only   VectorEnv (1 env, 1 thread, zero actions)   vs a raw mj_step loop: same model, same substeps
//                per control step, same initial state
//   2 views      VectorEnv rendering both cameras at S x S   vs a raw mjv_updateScene + mjr_render +
//                                                               mjr_readPixels loop over the same 2 cameras
//                                                             and vs the same work by hand: the raw mj_step
//                                                               substeps, then that raw render of both cameras
//                (an env step also simulates physics, which the render-only loop does not: with llvmpipe at
//                64x64 the substeps are a third of a step, so the render-only ratio cannot approach 1; the
//                same-work ratio is the env's own overhead)
//   scaling      VectorEnv with 2 threads vs 1 thread (num_envs envs, state-only and with cameras)
//
// Rates are control steps per second (one step = one 20 Hz action, with its physics substeps), never frames
// times substeps. Each measurement alternates baseline and subject for `rounds` rounds of `seconds` each and
// reports the median, so a burst of load from elsewhere hits both sides alike.

#include <string>

#include "a2w/env/value.h"

namespace a2w::bench {

struct EnvBenchOptions {
  std::string task = "a2w/LiftCube-v0";
  int image_size = 64;
  int num_envs = 4;       // envs in the scaling runs
  double seconds = 1.0;   // per measurement and round
  int rounds = 3;
  bool progress = true;   // one line per measurement on stderr
};

struct EnvBenchResult {
  std::string task, cpu, renderer;
  int substeps = 0;
  int image_size = 0;
  // steps per second
  double raw_mj_step = 0, vector_state = 0;
  double raw_render = 0, vector_render = 0;  // raw_render: pairs of camera frames per second
  double raw_step_render = 0;                // physics substeps + both cameras, by hand
  double state_1_thread = 0, state_2_threads = 0;
  double render_1_thread = 0, render_2_threads = 0;
  int num_envs = 0;

  double state_ratio() const { return vector_state / raw_mj_step; }
  double render_ratio() const { return vector_render / raw_render; }
  double render_same_work_ratio() const { return vector_render / raw_step_render; }
  double state_scaling() const { return state_2_threads / state_1_thread; }
  double render_scaling() const { return render_2_threads / render_1_thread; }

  env::Dict to_dict() const;
  std::string to_text() const;
};

EnvBenchResult bench_env(const EnvBenchOptions& options);

}  // namespace a2w::bench
