#pragma once
// WindowLoader: training batches of windows cut from an EpisodeIndex. A window at step t of an episode (with
// h = action_horizon and K = context_frames) is
//
//   history   frames t - K h, ..., t - h, t (K + 1 per view, oldest first); before the episode's start the
//   first
//             frame is repeated. The model's context is the last K; the first K are the context of frame t
//             itself, which self-forcing uses to replace frame t with the model's own prediction of it.
//   anchor    frame 0
//   target    frame t + h (the frame after the action chunk)
//   actions   actions t .. t + h - 1;  prev_actions: actions t - h .. t - 1 (valid when t >= h)
//   labels    state/vector[t + h - 1] and its mask, success[t + h - 1], the sum of rewards[t .. t + h - 1]
//   state_in  the state at frame t (state/vector[t - 1], or the episode's initial state at t = 0), the input
//             of a state_input model; prev_state_in the same at frame t - h (self-forcing's input)
//
// Windows are drawn uniformly over all transitions of all episodes. batch(step) depends only on (seed, step):
// not on thread count, timing or what ran before, so a resumed run sees the batches an uninterrupted one
// would. start() runs background threads that read (HDF5, gzip) and assemble batches ahead; next() hands them
// out in step order. Frames of another size than config.image_size are resized (area average when shrinking).

#include <torch/torch.h>

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "a2w/wm/config.h"
#include "a2w/wm/episode_index.h"

namespace a2w::wm {

struct TrainBatch {
  torch::Tensor history;             // uint8 [B, V, K + 1, H, W, 3]
  torch::Tensor anchor;              // uint8 [B, V, H, W, 3]
  torch::Tensor target;              // uint8 [B, V, H, W, 3]
  torch::Tensor actions;             // f32 [B, action_horizon, action_dim]
  torch::Tensor action_mask;         // f32 [B, action_horizon]: 1 for the episode's actions (partial chunks)
  torch::Tensor target_valid;        // bool [B]: target is frame t + h (partial chunks: false near the end)
  torch::Tensor prev_actions;        // f32 [B, action_horizon, action_dim] (zeros where !has_prev)
  torch::Tensor has_prev;            // bool [B]
  torch::Tensor state;               // f32 [B, state_dim], world units
  torch::Tensor state_mask;          // f32 [B, state_dim]
  torch::Tensor state_in;            // f32 [B, state_dim], world units: the state at frame t
  torch::Tensor prev_state_in;       // f32 [B, state_dim]: at frame t - h (the initial state before that)
  torch::Tensor success;             // f32 [B]
  torch::Tensor reward;              // f32 [B]
  torch::Tensor task;                // int64 [B]: row in config.tasks, -1 when the task has no row
  std::vector<std::size_t> episode;  // index into EpisodeIndex::episodes()
  std::vector<std::int64_t> step;    // t

  std::int64_t size() const { return history.defined() ? history.size(0) : 0; }
  TrainBatch to(torch::Device device) const;
};

class WindowLoader {
 public:
  // config: views (view_keys), context_frames, action_horizon, image_size and tasks (rows of the task ids).
  // partial_chunks (A2World-policy): windows start at every step t in [0, T - 1], so that the last h steps
  // of an episode (the end of the task) start chunks too; the actions past the end repeat the last one with
  // action_mask 0, the target is the last stored frame with target_valid false, the labels describe the
  // state after the last real action. The index may then have been built with a shorter action_horizon (1:
  // keep episodes shorter than a chunk).
  WindowLoader(std::shared_ptr<const EpisodeIndex> index, const WorldModelConfig& config, int batch_size,
               std::uint64_t seed, bool partial_chunks = false);
  ~WindowLoader();
  WindowLoader(const WindowLoader&) = delete;
  WindowLoader& operator=(const WindowLoader&) = delete;

  // The windows (episode, t), with t in [0, T - action_horizon), as one batch. Throws InvalidArgument for a
  // window outside its episode.
  TrainBatch windows(const std::vector<std::pair<std::size_t, std::int64_t>>& windows) const;
  // The (episode, t) pairs of step `step`'s batch, and the batch itself.
  std::vector<std::pair<std::size_t, std::int64_t>> draw(std::int64_t step) const;
  TrainBatch batch(std::int64_t step) const { return windows(draw(step)); }

  // Prefetching: `workers` threads build the batches of steps first_step, first_step + 1, ... at most
  // `depth` ahead of next(). A worker's exception is rethrown by next().
  void start(std::int64_t first_step, int workers = 1, int depth = 4);
  TrainBatch next();
  void stop();

  const EpisodeIndex& index() const { return *index_; }
  int batch_size() const { return batch_size_; }

 private:
  void work();

  std::shared_ptr<const EpisodeIndex> index_;
  WorldModelConfig config_;
  int batch_size_;
  std::uint64_t seed_;
  bool partial_chunks_ = false;
  std::vector<std::int64_t> cumulative_;  // transitions before episode i
  std::vector<std::int64_t> task_row_;    // per episode

  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::thread> threads_;
  std::map<std::int64_t, TrainBatch> ready_;
  std::int64_t next_to_build_ = 0, next_to_hand_ = 0;
  int depth_ = 4;
  bool stopping_ = false;
  std::exception_ptr error_;
};

}  // namespace a2w::wm
