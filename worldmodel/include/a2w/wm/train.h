#pragma once
// Training A2World: pretraining on a multi-task corpus and adaptation (fine-tuning) to one task, the two
// halves of the paper's recipe. `a2w wm pretrain` and `a2w wm adapt` are thin wrappers around
// train_world_model.
//
//   TrainJob job;                                    // pretrain
//   job.data = {"data/corpus"};
//   job.exclude_tasks = {"a2w/OpenDrawer-v0"};       // held out for the transfer experiment
//   job.steps = 20000;
//   job.out = "runs/pretrained.a2wm";
//   TrainReport r = train_world_model(job);
//
//   TrainJob adapt;                                  // adapt: A2World-sim for one task
//   adapt.from = "runs/pretrained.a2wm";
//   adapt.task = "a2w/OpenDrawer-v0";                // added to the task embedding when new
//   adapt.data = {"data/corpus"};
//   adapt.fraction = 0.25;                           // a quarter of that task's episodes
//   adapt.lr = 1e-4;
//   adapt.out = "runs/opendrawer.a2wm";
//
// What a step does: the loss of world_model_loss.h on a batch of windows (window_loader.h), AdamW (adamw.h)
// with linear warm-up then cosine decay to min_lr_ratio * lr, gradient-norm clipping, an EMA of the weights
// (predict uses the EMA). Self-forcing starts after config.self_forcing_warmup steps.
//
// Reproducible: weights are initialised from torch::manual_seed(seed); step s's batch and every random draw
// of step s derive from (seed, s) alone, so a run resumed from a checkpoint takes the same steps as an
// uninterrupted one (bit for bit with the same thread count). Checkpoints (checkpoint.h) hold the weights,
// EMA, optimizer state, state statistics, the step, and the loss curve; they are written every
// checkpoint_every steps and at the end, each by temp file + rename.
//
// This header has no LibTorch in it, so the CLI compiles without it.

#include <cstdint>
#include <string>
#include <vector>

#include "a2w/env/value.h"

namespace a2w::wm {

struct TrainJob {
  // Data.
  std::vector<std::string> data;           // dataset folders or .hdf5 files
  std::vector<std::string> tasks;          // keep only these task ids (empty: all; adapt: `task`)
  std::vector<std::string> exclude_tasks;  // drop these task ids
  double fraction = 1.0;                   // of each task's episodes, a seeded choice, (0, 1]
  // Model: a preset ("tiny", "cpu", "gpu") and field overrides (WorldModelConfig field names -> values). When
  // starting from or resuming a checkpoint, its config is used and the overrides apply on top of it.
  std::string config = "cpu";
  env::Dict config_overrides;
  // Optimisation.
  std::int64_t steps = 2000;  // total optimizer steps (a resumed run continues up to this)
  int batch_size = 16;
  double lr = 3e-4;                // peak learning rate
  double min_lr_ratio = 0.1;       // cosine decay ends at min_lr_ratio * lr
  std::int64_t warmup_steps = -1;  // linear warm-up; -1: min(500, steps / 10)
  double weight_decay = 0.01;
  double grad_clip = 1.0;  // max global gradient norm; 0: no clipping
  std::uint64_t seed = 0;
  // Checkpoints.
  std::string out;      // checkpoint written here (required)
  bool resume = false;  // continue from `out` when it exists
  std::string from;     // adapt: start from this checkpoint's (EMA) weights and statistics
  std::string task;     // adapt: the target task id (added to the task embedding if new)
  // Pretrain, warm start: copy from this checkpoint (its EMA weights) every tensor whose name and shape this
  // model shares, the rest fresh; for a recipe change that adds or reshapes a few layers, so the trunk need
  // not relearn the frames. The task rows are copied only when both name the same tasks in the same order.
  std::string init;
  std::int64_t checkpoint_every = 1000;  // steps; 0: only at the end
  // Stop early, as if interrupted (a checkpoint is written; resume continues the same schedule): at this step
  // (0: never) or after this many minutes of training in this process (0: no limit).
  std::int64_t stop_at_step = 0;
  double max_minutes = 0;
  // Running.
  // Intra-op threads; 0: one per core. On a machine busy with other work prefer 1: OpenMP threads meet at a
  // barrier after every op, and when another process holds a core each meeting waits out a scheduler slice
  // (measured here: a 2-thread predict() 100x slower beside one busy neighbour).
  int threads = 0;
  int loader_workers = 1;  // background batch builders
  // Data-parallel over processes and machines (data_parallel.h), launched torchrun-style: with world_size > 1
  // the ranks meet on rank 0's c10d store at master_addr:master_port, each draws its own batches (batch_size
  // per rank) and the gradients are averaged before every step, so the weights stay the same everywhere; only
  // rank 0 writes `out`, prints progress and runs the evaluation. Resuming reads `out` on every rank, so it
  // needs the file where each rank can read it.
  int rank = 0, world_size = 1;
  std::string master_addr;
  int master_port = 29500;
  std::string device = "cpu";  // "cpu", "cuda", "cuda:1"
  // Matrix products in "float32" or "bfloat16" (autocast, master weights float32; precision.h); "auto":
  // bfloat16 on CUDA and on CPUs that multiply it natively (2.4x faster steps here), else float32.
  std::string precision = "auto";
  std::int64_t log_every = 50;  // a loss-curve point every this many steps
  bool progress = true;         // progress bar on stderr
  // Optional held-out data for a one-step evaluation at the end (one_step_eval.h).
  std::vector<std::string> eval_data;
  std::int64_t eval_windows = 128;
};

struct CurvePoint {
  std::int64_t step = 0;  // optimizer steps done
  double seconds = 0;     // wall time since this run (or its first segment) started
  double loss = 0, denoise = 0, state = 0, success = 0, reward = 0;  // means over the interval
  double lr = 0;
  double samples_per_second = 0;  // over the interval
};

struct TrainReport {
  std::string mode;  // "pretrain" or "adapt"
  std::string out;
  std::string config;  // preset name (or "from checkpoint")
  std::int64_t parameters = 0;
  std::vector<std::string> tasks;  // the model's task embedding rows
  std::vector<std::string> data_tasks;
  std::int64_t episodes = 0, transitions = 0;
  std::int64_t start_step = 0,
               steps = 0;  // steps: where this process stopped (the job's steps unless stopped early)
  bool finished = false;   // steps reached the job's steps
  int batch_size = 0, threads = 0;
  std::string precision;                // as resolved
  std::string init;                     // the warm-start checkpoint, if any
  std::vector<std::string> init_fresh;  // its tensors not copied (absent, another shape, other tasks)
  double seconds = 0;                   // this process's training time
  double samples_per_second = 0;        // over this process's steps
  double loss = 0, denoise = 0, state = 0, success = 0, reward = 0;  // the last curve interval
  std::vector<CurvePoint> curve;  // including earlier segments of a resumed run
  env::Dict eval;                 // one_step_eval's metrics, when eval_data was given
  int rank = 0, world_size = 1;   // data-parallel: this process of how many
  double parameter_sum = 0;       // of the final weights: equal on every rank of a data-parallel run

  env::Dict to_dict() const;
  std::string to_text() const;
};

// Throws InvalidArgument for a bad job (no data, no out, an unknown preset or override, a task that does not
// fit the task embedding) and whatever loading data or checkpoints throws.
TrainReport train_world_model(const TrainJob& job);

}  // namespace a2w::wm
