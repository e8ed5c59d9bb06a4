#pragma once
// A2World-policy: the A2World trunk as a video + action policy (UWM-style). Action tokens are denoised
// jointly with the next frames, each modality with its own noise level, conditioned on the task
// instruction; one model serves every task. It implements env::Policy, so it steps physics tasks and
// A2World-sim alike:
//
//   auto policy = a2w::wm::A2WorldPolicy::load("runs/a2w_policy.a2wp");
//   env::Array chunk = policy->act(obs);   // f32 [B, execute, 7]; env::rollout executes it, then asks again
//
// Network (A2WorldPolicyNet). The world model's network (a2world_net.h) is the trunk: the same frame tokens
// (patches of the noisy target frame on top of the K context frames and the anchor, position and view
// embeddings) followed by `chunk` action tokens (a linear map of the noisy standardised action plus a learned
// position in the chunk). Every DiT block attends over frames and actions together. The adaLN conditioning
// is the trunk's (context-noise level, the current proprioception through its state input with only the
// proprio entries unmasked) plus the frames' noise level, plus an embedding of the actions' noise level and
// of the instruction (the mean of learned word vectors, instruction_tokenizer.h). Each action token's final
// features map linearly to its F; EDM preconditioning (edm.h) with sigma_data 1 (actions are standardised)
// turns F into the denoised chunk. The trunk's action-conditioning MLP sees zeros: here the actions are
// tokens, not a condition.
//
// Training (a2world_policy_train.h) samples the two noise levels independently (UWM). In a share of the
// batch (policy_mode_prob) the future frames are pure noise at the largest level and carry no loss: that is
// the policy's own mode, used at inference, where only the actions are denoised (Euler, action_steps steps)
// while the frames stay noise. The other rows also learn to predict the frames after the chunk, the world
// model's task, which is what ties the policy to the pretrained dynamics.
//
// Initialised from a pretrained A2World (a2w wm pretrain): every trunk tensor of matching name and shape is
// copied (the state normaliser too), so the policy starts from the world model's view of the scene. From
// scratch: fresh weights, the statistics from the data.
//
// Context at inference. The policy keeps, per env, the frames it was shown at each act() with the env's
// step count, and the episode's first frame (the anchor): the context frames are those `chunk` steps apart,
// as in training (an older frame than the episode has is the first frame). reset(mask) drops an env's
// history; the rollout calls it at each new episode.
//
// Files: the a2w checkpoint format (checkpoint.h), meta "kind" = "a2w-policy", meta "policy_config" =
// A2WorldPolicyConfig::to_dict() (the trunk's config is the checkpoint's config); tensors "model/<param>",
// "ema/<param>" (inference prefers it), "norm/state_*" (state_normalizer.h), "norm/action_mean",
// "norm/action_std"; training files add "optim/...".

#include <torch/torch.h>

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "a2w/env/policy.h"
#include "a2w/env/value.h"
#include "a2w/wm/a2world_net.h"
#include "a2w/wm/checkpoint.h"
#include "a2w/wm/config.h"
#include "a2w/wm/instruction_tokenizer.h"
#include "a2w/wm/state_normalizer.h"

namespace a2w::wm {

inline constexpr const char* kA2WorldPolicyKind = "a2w-policy";

struct A2WorldPolicyConfig {
  // The trunk: A2World's config with action_horizon = chunk (the action tokens), no task rows, state input.
  WorldModelConfig trunk;
  int execute = 4;                      // steps of each chunk act() returns (1 .. chunk)
  std::vector<std::string> vocabulary;  // instruction words (from the training data)
  int max_words = 16;                   // of an instruction, more are ignored
  int action_steps = 4;                 // Euler steps of the action sampler
  double action_sigma_data = 1.0;       // standardised actions
  double action_sigma_max = 5.0;        // the sampler's first level (training levels are clipped to it)
  // Training levels of the actions: log-normal, centred higher than the frames' (-0.4) so that the sampler's
  // first, largest levels are ones the network has learned well (with few sampler steps the first call
  // decides most of the chunk).
  double action_p_mean = 0.0, action_p_std = 1.2;
  double policy_mode_prob = 0.5;   // training rows whose frames are pure noise (the policy's mode)
  double frame_loss_weight = 1.0;  // the frames' denoising loss against the actions'

  int chunk() const { return trunk.action_horizon; }
  // Presets: "tiny" (tests), "cpu" (the A2World cpu trunk, chunk 8). Throws InvalidArgument for another.
  static A2WorldPolicyConfig preset(const std::string& name);
  // Throws InvalidArgument naming the first inconsistent field.
  void validate() const;
  env::Dict to_dict() const;  // without the trunk (the checkpoint's config holds it)
  static A2WorldPolicyConfig from_dict(const env::Dict& d, const WorldModelConfig& trunk);
};

// The proprio entries of the state vector (env/state.h): joints, gripper, end-effector position and
// orientation, [0, kStateObjectsAt). The policy sees these and nothing privileged.
torch::Tensor proprio_state_mask(int state_dim);

class A2WorldPolicyNetImpl : public torch::nn::Module {
 public:
  explicit A2WorldPolicyNetImpl(const A2WorldPolicyConfig& config);

  // The trunk's context tokens and condition (a2world_net.h), with zero actions for its action MLP.
  torch::Tensor embed_context(const torch::Tensor& context, const torch::Tensor& anchor);
  Condition embed_condition(const torch::Tensor& context_sigma, const torch::Tensor& state_z,
                            const torch::Tensor& state_mask);
  // Words int64 [B, max_words] (0 padding) -> f32 [B, width].
  torch::Tensor embed_instruction(const torch::Tensor& words);
  // One joint denoiser call: scaled noisy frames f32 [B, V, 3, H, W] at c_noise_frames [B], scaled noisy
  // standardised actions f32 [B, chunk, action_dim] at c_noise_actions [B] -> F of the frames and of the
  // actions [B, chunk, action_dim].
  std::pair<torch::Tensor, torch::Tensor> forward(
      const torch::Tensor& frames_in, const torch::Tensor& c_noise_frames,
      const torch::Tensor& context_tokens, const Condition& condition, const torch::Tensor& instruction,
      const torch::Tensor& actions_in, const torch::Tensor& c_noise_actions);

  A2WorldNet& trunk() { return trunk_; }
  const A2WorldPolicyConfig& config() const { return config_; }

 private:
  A2WorldPolicyConfig config_;
  A2WorldNet trunk_{nullptr};
  torch::nn::Linear action_in_{nullptr}, action_out_{nullptr};
  torch::Tensor action_position_;  // learned [chunk, width]
  torch::Tensor frequencies_;      // buffer: sinusoid frequencies of the action noise level
  torch::nn::Linear sigma_fc1_{nullptr}, sigma_fc2_{nullptr};
  torch::nn::Embedding words_{nullptr};
  torch::nn::Linear words_fc_{nullptr};
};
TORCH_MODULE(A2WorldPolicyNet);

// Standardisation of actions (per dimension, from the training data).
struct ActionNormalizer {
  torch::Tensor mean, std;  // f32 [action_dim]
  void add_to(Checkpoint& checkpoint) const;
  static ActionNormalizer from(const Checkpoint& checkpoint);
  ActionNormalizer to(torch::Device device) const;
};

// Copies every trunk tensor of `world_model` (an A2World checkpoint; EMA weights where present) whose name
// and shape match into `net`'s trunk. Returns the names of the trunk's tensors left fresh.
std::vector<std::string> init_trunk_from(A2WorldPolicyNet& net, const Checkpoint& world_model);

struct A2WorldPolicyOptions {
  std::string device = "cpu";
  int execute = 0;         // steps of each chunk returned; 0: the config's
  std::uint64_t seed = 0;  // the sampler's noise: a row's depends on (seed, its episode's seed, its step)
  // Scale of the noise each chunk's action sampling starts from: 1 samples the learned action distribution;
  // 0 starts from its centre, so a chunk is the denoiser's estimate refined without sampling noise (the
  // imagined future frames stay the noise they were in training, so chunks still vary a little by seed).
  double initial_noise = 1.0;
};

class A2WorldPolicy final : public env::Policy {
 public:
  // Throws InvalidArgument naming the file for another kind of checkpoint or a corrupt one; NotFound for a
  // missing file.
  static std::unique_ptr<A2WorldPolicy> load(const std::string& path, A2WorldPolicyOptions options = {});
  // The same from a checkpoint already read (its `source` names it in messages).
  static std::unique_ptr<A2WorldPolicy> load(const Checkpoint& checkpoint, A2WorldPolicyOptions options = {});
  A2WorldPolicy(A2WorldPolicyNet net, StateNormalizer state, ActionNormalizer actions,
                A2WorldPolicyOptions options, std::string source = "");

  std::string name() const override { return "a2w-policy"; }
  // obs: the batch Dict of a VectorEnv: the views (uint8 [B, S, S, 3]; resized to the model's size), ee_pos,
  // ee_ori, gripper_states, joint_states (f32) and instruction (a List of texts, or one text for all rows;
  // missing: no instruction). Unknown words are left out (instruction_tokenizer.h). Returns f32 [B, execute,
  // action_dim] in [-1, 1]. Throws InvalidArgument naming a missing or ill-shaped key, or a batch size that
  // changed without a reset.
  env::Array act(const env::Dict& obs) override;
  // Only the wanted rows are imagined and advance their history; the others' rows of the output are zero.
  env::Array act_rows(const env::Dict& obs, const std::vector<bool>& wanted) override;
  void reset(const std::vector<bool>& mask) override;
  // With the episodes' seeds, a row's sampling noise follows its episode (not its slot in the batch).
  void reset(const std::vector<bool>& mask, const std::vector<std::uint64_t>& seeds) override;
  // The whole chunk, f32 [B, chunk, action_dim] clipped to [-1, 1], for the rows in `wanted` (empty: all; the
  // other rows are zero and keep their state).
  torch::Tensor predict(const env::Dict& obs, const std::vector<bool>& wanted = {});

  const A2WorldPolicyConfig& config() const { return net_->config(); }
  // Writes an inference file (kind "a2w-policy": weights as "model/", statistics, configs).
  void save(const std::string& path, const env::Dict& extra_meta = {}) const;

 private:
  struct Slot {
    std::deque<std::pair<std::int64_t, torch::Tensor>> frames;  // (step, uint8 [V, S, S, 3]), oldest first
    torch::Tensor anchor;
    std::int64_t step = 0, episode = 0;
    // Keys the episode's sampling noise: from its seed where the reset gave one, else from (row, episodes
    // begun in the row).
    std::uint64_t noise_key = 0;
  };
  void resize_slots(std::size_t n);  // new rows keyed as unseeded episodes 0

  A2WorldPolicyNet net_;
  StateNormalizer state_norm_;
  ActionNormalizer action_norm_;
  A2WorldPolicyOptions options_;
  std::string source_;
  torch::Device device_;
  InstructionTokenizer tokenizer_;
  std::vector<Slot> slots_;
  int execute_ = 0;
};

}  // namespace a2w::wm
