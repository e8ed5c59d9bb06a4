#pragma once
// bench_wm(): how fast A2World-sim imagines, beside the physics env it stands in for, measured in one run.
//
//   imagined     WorldModelVectorEnv at each batch size (default 1, 16, 64): env steps per second summed over
//                the batch, both views imagined, one WorldModel::predict per step, NEXT_STEP autoreset
//                (an episode's end resets its row from the physics task, as in use)
//   raw predict  WorldModel::predict alone on a batch of the same size with fixed inputs: the model's own
//                speed, so imagined / raw is the env's overhead (context shifts, judge, observations)
//   physics      the physics task in a VectorEnv of 1 env on 1 thread, rendering both views at the model's
//                image size: steps per second, the baseline the imagined rates are divided by
//
// Each round measures the physics baseline, then for every batch size raw predict and the env, for `rounds`
// rounds of `seconds` each; the medians are reported, so a burst of load from elsewhere hits every side
// alike. Actions are zeros (the arm holds still in physics; the model's cost does not depend on them).
//
// The model: a checkpoint (an a2w checkpoint or a TorchScript module), by default the shipped one; or, when
// `config` names a preset ("tiny", "cpu", "gpu"), that preset with random weights, whose
// speed equals a trained model's of the same config but whose frames are noise: the result says so.

#include <cstdint>
#include <string>
#include <vector>

#include "a2w/env/value.h"

namespace a2w::bench {

struct WmBenchOptions {
  std::string task = "a2w/LiftCube-v0";
  std::string checkpoint;  // empty: the shipped default checkpoint, unless `config` is set
  std::string config;      // a preset with random weights instead of a checkpoint
  std::string device = "cpu";
  // LibTorch intra-op threads; 0: one per core (wm/threads.h). On a machine shared with other work, more
  // threads than idle cores is much slower, not faster.
  int threads = 0;
  std::string precision = "auto";  // of A2World's matrix products: auto | float32 | bfloat16 (precision.h)
  std::vector<int> batches{1, 16, 64};
  double seconds = 2.0;  // per measurement and round
  int rounds = 3;
  bool progress = true;  // one line per measurement on stderr
};

struct WmBenchRow {
  int batch = 0;
  double steps_per_s = 0;        // imagined env steps per second, all rows together
  double ms_per_step = 0;        // wall time of one batched step
  double raw_predict_per_s = 0;  // rows per second through WorldModel::predict alone

  double overhead_ratio() const { return steps_per_s / raw_predict_per_s; }
};

struct WmBenchResult {
  std::string task, cpu, device;
  std::string model;  // the checkpoint path, or "preset <name> (random weights)"
  bool random_weights = false;
  int image_size = 0, views = 0, context_frames = 0, sampling_steps = 0;
  std::int64_t parameters = 0;  // 0 when the model does not say (TorchScript)
  int torch_threads = 0;
  std::string precision = "float32";  // of the matrix products (wm/precision.h)
  double physics_steps_per_s = 0;     // 1 env, 1 thread, both views rendered at image_size
  std::vector<WmBenchRow> rows;

  env::Dict to_dict() const;
  std::string to_text() const;
};

WmBenchResult bench_wm(const WmBenchOptions& options);

}  // namespace a2w::bench
