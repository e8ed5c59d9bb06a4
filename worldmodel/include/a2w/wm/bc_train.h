#pragma once
// Training the behaviour-cloning policy (bc_policy.h) from recorded episodes: what `a2w policy train --kind
// bc` does.
//
//   BCTrainJob job;
//   job.data = {"data/corpus"};
//   job.out = "runs/bc.a2wp";
//   job.steps = 5000;
//   job.eval_data = {"data/heldout"};
//   BCTrainReport r = train_bc(job);     // r.curve, r.samples_per_second, r.eval
//
// Data. Every kept episode's frames (config.view_keys) and proprio (obs/ee_pos, obs/ee_ori,
// obs/gripper_states) are read into memory once (64 x 64 x 3 x 2 views: about 25 kB a step). Sample t of an
// episode of T steps is (frames[t], proprio[t]) -> actions[t .. t + chunk - 1]; the steps past the episode's
// end are left out of the loss (masked). By default only successful episodes are kept (the `success`
// per-step labels: any step succeeded): the corpus's noisy runs include failures that should not be
// imitated; successful_only = false keeps them all.
//
// A step: a batch of samples drawn uniformly with replacement, random shifts of each view (augment_shift),
// the config's loss (L1 or MSE, on standardised actions, masked) under bf16 autocast where precision.h says
// so, AdamW (adamw.h) with linear warm-up and cosine decay, gradient-norm clipping and an EMA of the weights
// (the EMA weights are what the policy acts with).
//
// Reproducible: weights come from torch::manual_seed(seed); step s's samples and shifts derive from (seed,
// s) alone, so a run resumed from its checkpoint takes the same steps as an uninterrupted one (bit for bit
// with the same thread count). Checkpoints (kind "bc", checkpoint.h) are written every checkpoint_every
// steps and at the end, each by temp file + rename.
//
// This header has no LibTorch in it, so the CLI compiles without it.

#include <cstdint>
#include <string>
#include <vector>

#include "a2w/env/value.h"

namespace a2w::wm {

struct BCTrainJob {
  // Data.
  std::vector<std::string> data;           // dataset folders or .hdf5 files
  std::vector<std::string> tasks;          // keep only these task ids (empty: all)
  std::vector<std::string> exclude_tasks;  // drop these
  double fraction = 1.0;                   // of each task's episodes, a seeded choice, (0, 1]
  bool successful_only = true;             // drop episodes in which no step succeeded
  // Model: a preset ("tiny", "cpu") and BCConfig field overrides. image_size and tasks come from the data.
  // A resumed run keeps its checkpoint's config.
  std::string config = "cpu";
  env::Dict config_overrides;
  // Optimisation.
  std::int64_t steps = 5000;  // total optimizer steps (a resumed run continues up to this)
  int batch_size = 64;
  double lr = 3e-4;                // peak learning rate
  double min_lr_ratio = 0.1;       // cosine decay ends at min_lr_ratio * lr
  std::int64_t warmup_steps = -1;  // linear warm-up; -1: min(200, steps / 10)
  double weight_decay = 0.01;
  double grad_clip = 1.0;    // max global gradient norm; 0: no clipping
  double ema_decay = 0.999;  // warmed up as in adamw.h's ema_decay_at
  std::uint64_t seed = 0;
  // Checkpoints.
  std::string out;                       // the policy file written (required), e.g. runs/bc.a2wp
  bool resume = false;                   // continue from `out` when it exists
  std::int64_t checkpoint_every = 1000;  // steps; 0: only at the end
  // Stop early, as if interrupted (a checkpoint is written; resume continues the same schedule).
  std::int64_t stop_at_step = 0;  // 0: never
  double max_minutes = 0;         // of training in this process; 0: no limit
  // Running.
  int threads = 0;                 // LibTorch intra-op threads; 0: one per core (threads.h)
  std::string device = "cpu";      // "cpu", "cuda", "cuda:N"
  std::string precision = "auto";  // "float32", "bfloat16" or "auto" (precision.h)
  std::int64_t log_every = 50;     // a loss-curve point every this many steps
  bool progress = true;            // progress bar on stderr
  // Optional held-out episodes: action error of the final (EMA) policy on them.
  std::vector<std::string> eval_data;
  std::int64_t eval_samples = 4096;  // evenly spaced samples of the held-out data (at most)
};

struct BCCurvePoint {
  std::int64_t step = 0;  // optimizer steps done
  double seconds = 0;     // wall time since the run (its first segment) started
  double loss = 0;        // mean over the interval
  double lr = 0;
  double samples_per_second = 0;  // over the interval
};

struct BCTrainReport {
  std::string out;
  std::string config;  // preset name
  std::int64_t parameters = 0;
  std::vector<std::string> tasks;  // the policy's task embedding rows
  std::int64_t episodes = 0, samples = 0;
  std::int64_t start_step = 0, steps = 0;  // steps: where this process stopped
  bool finished = false;                   // steps reached the job's steps
  int batch_size = 0, threads = 0;
  std::string precision;  // as resolved
  double seconds = 0;     // this process's training time (data loading excluded)
  double load_seconds = 0;
  double samples_per_second = 0;    // over this process's steps
  double loss = 0;                  // the last curve interval's
  std::vector<BCCurvePoint> curve;  // including earlier segments of a resumed run
  // With eval_data: samples, action_mae (first action of the chunk, mean over the 7 dimensions, in action
  // units), chunk_mae (every predicted step inside the episode), mean_action_mae (the baseline that always
  // predicts the training data's mean action), gripper_agreement (sign of the gripper command),
  // action_mae_per_dim (List of 7).
  env::Dict eval;

  env::Dict to_dict() const;
  std::string to_text() const;
};

// Throws InvalidArgument for a bad job (no data, no out, an unknown preset or override), a data set without
// the needed keys, a resume file that is not a BC checkpoint; whatever loading data throws.
BCTrainReport train_bc(const BCTrainJob& job);

}  // namespace a2w::wm
