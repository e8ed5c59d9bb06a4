#pragma once
// WorldModel: one imagined step for a batch: the next frame of every view, the next task state, the
// success probability and the reward, given recent frames, the episode's first frame and an action chunk.
// A2World (the built-in diffusion transformer, a2w checkpoint) and any TorchScript module with the
// documented signature (torchscript_world_model.h) implement it; A2World-sim (WorldModelEnv) steps either.
//
// Frames are uint8 [.., H, W, 3] (row 0 at the top), exactly the observations of the physics tasks.

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "a2w/wm/config.h"

namespace a2w::wm {

struct WorldModelInput {
  torch::Tensor context;  // uint8 [B, V, K, H, W, 3]: the K most recent frames per view, oldest first
  torch::Tensor anchor;   // uint8 [B, V, H, W, 3]: the episode's first frame per view
  torch::Tensor actions;  // f32 [B, action_horizon, action_dim], actions in [-1, 1]
  torch::Tensor task;     // int64 [B]: row of config().tasks, or -1 for none
  // The current state, env/state.h layout in world units, and its mask (1 where the task has the entry):
  // f32 [B, state_dim] each. A2World with config().state_input needs them (the reset's state, then its own
  // predictions); other models may ignore them.
  torch::Tensor state;
  torch::Tensor state_mask;
  // Per-row noise seeds: row b's sampling noise depends on seeds[b] only, so an episode imagines the same
  // frames whatever batch it is stepped in. Empty: seeds 0..B-1.
  std::vector<std::uint64_t> seeds;
};

struct WorldModelOutput {
  torch::Tensor frames;   // uint8 [B, V, H, W, 3]
  torch::Tensor state;    // f32 [B, state_dim]: the next state, env/state.h layout, in world units
  torch::Tensor success;  // f32 [B]: probability that the task's predicate holds after the step
  torch::Tensor reward;   // f32 [B]
};

class WorldModel {
 public:
  virtual ~WorldModel() = default;
  virtual const WorldModelConfig& config() const = 0;
  virtual torch::Device device() const = 0;
  // Inputs may live on any device; outputs are on device(). Inference only (no autograd).
  virtual WorldModelOutput predict(const WorldModelInput& input) = 0;
};

// Loads an a2w checkpoint (A2World weights, EMA weights used) or a TorchScript module, by content. Throws
// a2w::InvalidArgument naming the file and what was wrong (not a checkpoint, wrong format version, truncated,
// a TorchScript module without the expected forward signature).
std::shared_ptr<WorldModel> load_world_model(const std::string& path, torch::Device device = torch::kCPU);

}  // namespace a2w::wm
