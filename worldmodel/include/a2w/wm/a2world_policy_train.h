#pragma once
// Training A2World-policy (a2world_policy.h) from recorded episodes: what `a2w policy train --kind
// a2w-policy` does.
//
//   A2WorldPolicyTrainJob job;
//   job.data = {"data/corpus"};
//   job.from = "runs/pretrained.a2wm";   // a pretrained A2World; empty: from scratch
//   job.out = "runs/a2w_policy.a2wp";
//   A2WorldPolicyTrainReport r = train_a2world_policy(job);
//
// Data: windows of the WindowLoader (window_loader.h) with action_horizon = chunk and partial chunks: the K
// context frames `chunk` steps apart ending at frame t, the anchor, the frame after the chunk, the actions
// t .. t + chunk - 1, the proprioception at t; and the episode's instruction. Every step t of an episode
// starts a window: near the end the chunk runs past the last action and those steps carry no loss (nor does
// a frame that is not the one after the chunk), so the end of each task, where it succeeds, is learned too
// (a window that had to end inside the episode would never start in its last `chunk` steps, and episodes
// shorter than a chunk, most of Reach's, would be dropped). By default only episodes in which the task
// succeeded (the noisy runs of the corpus include failures that should not be imitated).
//
// A step: the two noise levels drawn independently from EDM's log-normal (UWM); in a share of the rows
// (policy_mode_prob) the frames are pure noise at the largest level and carry no loss (the mode the policy
// acts in); the loss is the actions' denoising error plus frame_loss_weight times the frames' (with the
// world model's extra weight on moving pixels). Context-noise augmentation as in A2World. AdamW, warm-up and
// cosine decay, gradient clipping, EMA weights (what the policy acts with). Reproducible: weights from
// torch::manual_seed(seed), batch s and its noise from (seed, s) alone, so a resumed run takes an
// uninterrupted one's steps. Checkpoints by temp file + rename.
//
// No LibTorch in this header.

#include <cstdint>
#include <string>
#include <vector>

#include "a2w/env/value.h"

namespace a2w::wm {

struct A2WorldPolicyTrainJob {
  std::vector<std::string> data;           // dataset folders or .hdf5 files
  std::vector<std::string> tasks;          // keep only these task ids (empty: all)
  std::vector<std::string> exclude_tasks;  // drop these
  double fraction = 1.0;                   // of each task's episodes, a seeded choice
  bool successful_only = true;
  // Model: a pretrained A2World checkpoint (its trunk's sizes; every matching tensor copied) or, when
  // empty, the preset `config` ("tiny", "cpu") from scratch. chunk: actions per prediction (0: the
  // preset's, 8 for cpu); execute: steps of each chunk a policy executes (0: the preset's).
  std::string from;
  std::string config = "cpu";
  int chunk = 0, execute = 0;
  // Optimisation.
  std::int64_t steps = 5000;
  int batch_size = 32;
  double lr = 3e-4;
  double min_lr_ratio = 0.1;
  std::int64_t warmup_steps = -1;  // -1: min(200, steps / 10)
  double weight_decay = 0.01;
  double grad_clip = 1.0;
  double ema_decay = 0.999;
  std::uint64_t seed = 0;
  // Checkpoints.
  std::string out;  // required
  bool resume = false;
  std::int64_t checkpoint_every = 1000;  // 0: only at the end
  std::int64_t stop_at_step = 0;         // stop early as if interrupted (0: never)
  double max_minutes = 0;                // of training in this process (0: no limit)
  // Running.
  int threads = 0;
  std::string device = "cpu";
  std::string precision = "auto";
  std::int64_t log_every = 50;
  int loader_workers = 1;
  bool progress = true;
};

struct A2WorldPolicyCurvePoint {
  std::int64_t step = 0;
  double seconds = 0, loss = 0, action_loss = 0, frame_loss = 0, lr = 0;
};

struct A2WorldPolicyTrainReport {
  std::string out, config, from;
  std::vector<std::string> fresh;  // trunk tensors not taken from `from` (another shape or absent)
  std::int64_t parameters = 0, episodes = 0, transitions = 0;
  std::vector<std::string> tasks;
  std::int64_t vocabulary = 0;
  std::int64_t start_step = 0, steps = 0;
  bool finished = false;
  double seconds = 0, samples_per_second = 0;
  double loss = 0, action_loss = 0, frame_loss = 0;  // the last curve interval's
  std::string precision;
  std::vector<A2WorldPolicyCurvePoint> curve;

  env::Dict to_dict() const;
  std::string to_text() const;
};

// Throws InvalidArgument for a bad job (no data, no out, an unknown preset, a `from` that is not an A2World
// checkpoint), a resume file of another kind; what loading the data throws.
A2WorldPolicyTrainReport train_a2world_policy(const A2WorldPolicyTrainJob& job);

}  // namespace a2w::wm
