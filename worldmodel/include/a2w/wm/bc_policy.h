#pragma once
// BCPolicy: behaviour cloning. Both camera views and the proprioception in, an action chunk out, learned by
// regression from recorded episodes (`a2w collect` datasets; training in bc_train.h). It implements
// env::Policy, so it steps physics tasks and A2World-sim alike:
//
//   auto policy = a2w::wm::BCPolicy::load("runs/bc.a2wp", {.task = "a2w/LiftCube-v0"});
//   env::Array chunk = policy->act(obs);        // f32 [B, execute, 7]; env::rollout executes it
//
// Network (BCNet). Each view (config.view_keys) goes through the same small CNN (shared weights): four 3x3
// convolutions of stride 2 (channels c, 2c, 4c, 4c), each followed by GroupNorm and SiLU, so a 64 x 64 frame
// becomes a 4 x 4 x 4c map, flattened (positions kept: where the cube is matters) and mapped linearly to
// view_features; a learned per-view embedding is added, so the shared CNN's features say which camera they
// came from. The views' features, the normalised proprio and the task's embedding row are concatenated and an
// MLP (`layers` hidden layers of `hidden` units, SiLU) emits the normalised action chunk [chunk, action_dim].
// GroupNorm, not BatchNorm: row b of the output depends on row b of the input only, in training and at
// inference alike (it runs in float32 even under bf16 autocast, which LibTorch 1.13's CPU GroupNorm needs).
//
// Inputs and their normalisation:
//   views    uint8 [B, S, S, 3] each, mapped to [-1, 1] (x / 127.5 - 1); frames of another size are resized
//            to config.image_size (area average when shrinking, bilinear when growing), so a policy trained
//            on 64 x 64 data also runs on 128 x 128 renders (better: render at the policy's size)
//   proprio  ee_pos f32[3], ee_ori f32[3], gripper_states f32[2], concatenated in that order (8 floats) and
//            standardised with the training data's mean and std
//   task     the task id's row of config.tasks (physics id; an A2World-sim id "a2w-sim/X" maps to "a2w/X");
//            a task not in the list gets no embedding (a zero vector), so the policy still runs
// Actions are predicted standardised (training data mean and std per dimension), mapped back and clipped to
// [-1, 1]. act() returns the first config.execute steps of the chunk (the rollout executes them, then asks
// again), f32 [B, execute, 7].
//
// Files: the a2w checkpoint format (checkpoint.h) with meta "kind" = "bc" and meta "bc_config" =
// BCConfig::to_dict(); tensors "model/<param>" (and "ema/<param>", which inference prefers),
// "norm/proprio_mean", "norm/proprio_std", "norm/action_mean", "norm/action_std"; training files also hold
// "optim/..." (adamw.h). Loading refuses a file of another kind with an InvalidArgument naming the file and
// the kind it has.

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "a2w/env/policy.h"
#include "a2w/env/value.h"
#include "a2w/wm/checkpoint.h"

namespace a2w::wm {

// The meta "kind" of BC policy files.
inline constexpr const char* kBCKind = "bc";

struct BCConfig {
  int image_size = 64;  // square frames, a multiple of 16 (training takes it from the data)
  std::vector<std::string> view_keys{"agentview_rgb", "eye_in_hand_rgb"};
  int channels = 32;               // c: the CNN's first convolution (then 2c, 4c, 4c)
  int view_features = 128;         // features per view after the CNN
  int hidden = 256;                // MLP width
  int layers = 2;                  // hidden layers of the MLP
  int task_dim = 32;               // task embedding width (0: no task input)
  std::vector<std::string> tasks;  // task ids with an embedding row (training: the data's tasks)
  int chunk = 8;                   // H: actions predicted per observation
  int execute = 4;                 // steps of each chunk act() returns (1 .. chunk)
  int action_dim = 7;
  std::string loss = "l1";  // "l1" or "mse", on standardised actions (docs/policies.md says why l1)
  int augment_shift = 4;    // training: random shifts of up to this many pixels per view (0: none)

  static constexpr int kProprioDim = 8;  // ee_pos 3 + ee_ori 3 + gripper_states 2

  // Presets: "tiny" (tests: seconds on a CPU at 16 x 16) and "cpu" (the default, 2 CPU cores at 64 x 64).
  // Throws InvalidArgument for another name.
  static BCConfig preset(const std::string& name);
  // Throws InvalidArgument naming the first inconsistent field.
  void validate() const;
  env::Dict to_dict() const;
  // Unknown or ill-typed fields throw InvalidArgument naming them.
  static BCConfig from_dict(const env::Dict& d);
};

class BCNetImpl : public torch::nn::Module {
 public:
  // Fresh weights (seed with torch::manual_seed first).
  explicit BCNetImpl(const BCConfig& config);

  // images f32 [B, V, 3, S, S] in [-1, 1], proprio f32 [B, 8] standardised, task int64 [B] (-1: none)
  // -> standardised actions f32 [B, chunk, action_dim].
  torch::Tensor forward(const torch::Tensor& images, const torch::Tensor& proprio, const torch::Tensor& task);

  const BCConfig& config() const { return config_; }

 private:
  BCConfig config_;
  torch::nn::Sequential cnn_{nullptr};
  torch::nn::Linear cnn_out_{nullptr};
  torch::Tensor view_;  // learned [V, view_features]
  torch::nn::Embedding task_{nullptr};
  torch::nn::Sequential mlp_{nullptr};
};
TORCH_MODULE(BCNet);

// Per-dimension statistics of the training data (standardisation).
struct BCNormalizer {
  torch::Tensor proprio_mean, proprio_std;  // f32 [8]
  torch::Tensor action_mean, action_std;    // f32 [action_dim]

  void add_to(Checkpoint& checkpoint) const;
  static BCNormalizer from(const Checkpoint& checkpoint);
  BCNormalizer to(torch::Device device) const;
};

struct BCPolicyOptions {
  std::string task;            // task id for the task embedding ("": none); load_policy takes the env's
  std::string device = "cpu";  // "cpu", "cuda", "cuda:N"
  int execute = 0;             // steps of each chunk returned; 0: the config's
  std::string precision = "float32";  // inference matrix products: float32 | bfloat16 | auto (precision.h)
};

class BCPolicy final : public env::Policy {
 public:
  // Loads a BC file (training or exported). Throws InvalidArgument naming the file for another kind of
  // checkpoint (e.g. an A2World world model) or a corrupt one, NotFound for a missing file.
  static std::unique_ptr<BCPolicy> load(const std::string& path, BCPolicyOptions options = {});
  // The same from a checkpoint already read (its `source` names it in messages).
  static std::unique_ptr<BCPolicy> load(const Checkpoint& checkpoint, BCPolicyOptions options = {});
  BCPolicy(BCNet net, BCNormalizer norm, BCPolicyOptions options, std::string source = "");

  std::string name() const override { return "bc"; }
  // obs: the batch Dict of a VectorEnv (views uint8 [B, H, W, 3], ee_pos, ee_ori, gripper_states f32).
  // Returns f32 [B, execute, action_dim] in [-1, 1]. Throws InvalidArgument naming a missing or ill-shaped
  // key.
  env::Array act(const env::Dict& obs) override;
  // The whole predicted chunk, f32 [B, chunk, action_dim], clipped to [-1, 1] (act() returns its head).
  torch::Tensor predict(const env::Dict& obs);

  // The task whose embedding row is used ("" or an unknown id: none); sim ids map to physics ids.
  void set_task(const std::string& task);
  // Row of config().tasks in use, -1 for none.
  int task_row() const { return task_row_; }
  const BCConfig& config() const { return net_->config(); }
  // Writes an inference file (kind "bc": weights as "model/", statistics, config; no optimizer state).
  void save(const std::string& path, const env::Dict& extra_meta = {}) const;

 private:
  BCNet net_;
  BCNormalizer norm_;
  BCPolicyOptions options_;
  std::string source_;
  torch::Device device_;
  int task_row_ = -1;
  int execute_ = 0;
};

// Inputs shared by BC and TorchScript policies: the views of `keys` as uint8 [B, V, size, size, 3] (resized
// when the observation's frames have another size) and the proprio f32 [B, 8] (ee_pos, ee_ori,
// gripper_states). Throw InvalidArgument naming `who`, the key, what was expected and what came.
torch::Tensor policy_views(const env::Dict& obs, const std::vector<std::string>& keys, int size,
                           const std::string& who);
torch::Tensor policy_proprio(const env::Dict& obs, const std::string& who);
// uint8 [N, H, W, 3] -> uint8 [N, size, size, 3] (area average when shrinking, bilinear when growing).
torch::Tensor resize_frames(const torch::Tensor& frames, int size);
// uint8 [B, V, S, S, 3] -> f32 [B, V, 3, S, S] in [-1, 1]: what BCNet reads.
torch::Tensor bc_image_input(const torch::Tensor& views);

}  // namespace a2w::wm
