#pragma once
// A2WorldNet: the network F inside A2World's EDM denoiser (edm.h), and the heads on its trunk.
//
// Tokens. Each view's frames are cut into patch x patch squares. A token's input is its square of the noisy
// target frame (3 channels, already scaled by c_in) stacked on the channel axis with the same square of the K
// context frames and of the anchor (the episode's first frame). The tokens of all views form one sequence, so
// attention is across views; every token adds a learned position embedding (which square) and a learned view
// embedding (which camera; A2World gives each camera one too).
//
// Conditioning (adaLN-Zero): cond = emb(c_noise) + emb(context-noise level) + MLP(action chunk, flattened) +
// the task's embedding row (zero-initialised; rows with task -1 get none) + with config.state_input,
// MLP(current normalised state, its mask) (zero-initialised). This is how A2World injects its 20 x 14
// action chunk.
//
// Trunk and outputs. `depth` DiT blocks (dit_block.h); per token a linear map to the patch's 3 x patch x
// patch values of F. The heads read the trunk's last tokens: their mean (what the scene is) and a small
// per-token projection flattened in token order (where things are, which a mean would lose), then an MLP to
// the normalised next state, the success logit and the reward. With config.state_input the MLP also reads
// the current normalised state, its mask and the action chunk, and the state output is the change of the
// normalised state in units of its per-step spread (StateNormalizer::delta_rms; A2World adds it). Images at
// 64 x 64 locate a 4 cm cube to a few centimetres at best; a change from a known state keeps a still object
// still and moves the arm by its action, which is what the task's success predicate needs to read.
//
// The frames and anchors do not change while one imagined step is sampled, nor do the actions, so their
// embeddings are computed once per step (embed_context, embed_condition) and reused by every sampler call.
//
// Frames here are f32 in [-1, 1], channels first: [B, V, 3, H, W] (frames.h converts uint8 HWC).

#include <torch/torch.h>

#include <vector>

#include "a2w/wm/config.h"
#include "a2w/wm/dit_block.h"

namespace a2w::wm {

// What embed_condition makes once per imagined step and every sampler call reuses.
struct Condition {
  torch::Tensor vector;  // f32 [B, width]: the adaLN conditioning, before the noise level is added
  torch::Tensor head;  // f32 [B, 2 state_dim + action_horizon action_dim]: state, mask, actions (state_input)
};

struct NetOutput {
  torch::Tensor f;  // f32 [B, V, 3, H, W]: F, before EDM's c_skip and c_out
  // f32 [B, state_dim]: the normalised next state (state_normalizer.h), or with state_input its change over
  // delta_rms; undefined without heads
  torch::Tensor state;
  torch::Tensor success_logit;  // f32 [B]
  torch::Tensor reward;         // f32 [B]
};

class A2WorldNetImpl : public torch::nn::Module {
 public:
  // Builds the network for `config` (validated) with freshly initialised weights (seed with
  // torch::manual_seed).
  explicit A2WorldNetImpl(const WorldModelConfig& config);

  // Context f32 [B, V, K, 3, H, W] (oldest first) and anchor f32 [B, V, 3, H, W] -> tokens [B, V*T, width],
  // position and view embeddings included.
  torch::Tensor embed_context(const torch::Tensor& context, const torch::Tensor& anchor);
  // Context-noise level f32 [B] (the sigma added to the context frames), action chunk
  // f32 [B, action_horizon, action_dim], task row int64 [B] (-1: none), and with config.state_input the
  // current normalised state f32 [B, state_dim] (state_normalizer.h) and its mask f32 [B, state_dim] (1
  // where the task has the entry). Throws InvalidArgument when state_input needs a state and none came.
  Condition embed_condition(const torch::Tensor& context_sigma, const torch::Tensor& actions,
                            const torch::Tensor& task, const torch::Tensor& state = {},
                            const torch::Tensor& state_mask = {});
  // F(c_in x; c_noise) for scaled_noisy f32 [B, V, 3, H, W] and c_noise f32 [B]; the heads only when `heads`.
  NetOutput forward(const torch::Tensor& scaled_noisy, const torch::Tensor& context_tokens,
                    const Condition& condition, const torch::Tensor& c_noise, bool heads);
  // The trunk over the frame tokens followed by `extra` tokens [B, E, width] (A2World-policy's action
  // tokens): every block attends over both, `extra_condition` [B, width] is added to the conditioning (the
  // policy's action noise level and instruction). Returns F of the frames and the extra tokens' final
  // features [B, E, width] (normalised and modulated as the frame tokens are before their output map).
  std::pair<torch::Tensor, torch::Tensor> forward_joint(
      const torch::Tensor& scaled_noisy, const torch::Tensor& context_tokens, const Condition& condition,
      const torch::Tensor& c_noise, const torch::Tensor& extra, const torch::Tensor& extra_condition);

  const WorldModelConfig& config() const { return config_; }

 private:
  torch::Tensor embed_scalar(const torch::Tensor& x, torch::nn::Linear& fc1, torch::nn::Linear& fc2);

  WorldModelConfig config_;
  torch::nn::Linear noisy_embed_{nullptr}, context_embed_{nullptr};
  torch::Tensor position_, view_;  // learned [T, width], [V, width]
  torch::Tensor frequencies_;      // buffer: sinusoid frequencies of the scalar embeddings
  torch::nn::Linear noise_fc1_{nullptr}, noise_fc2_{nullptr}, ctx_fc1_{nullptr}, ctx_fc2_{nullptr};
  torch::nn::Linear action_fc1_{nullptr}, action_fc2_{nullptr};
  torch::nn::Embedding task_{nullptr};
  torch::nn::Linear state_fc1_{nullptr}, state_fc2_{nullptr};  // state_input only
  std::vector<DiTBlock> blocks_;
  torch::nn::Linear final_ada_{nullptr}, final_out_{nullptr};
  torch::nn::Linear head_tokens_{nullptr}, head_fc1_{nullptr}, head_fc2_{nullptr}, head_out_{nullptr};
};
TORCH_MODULE(A2WorldNet);

// [B, V, C, H, W] -> [B, V*T, C*p*p] (tokens view-major, then row-major squares; features channel-major) and
// back for C = 3.
torch::Tensor patchify(const torch::Tensor& x, int patch);
torch::Tensor unpatchify(const torch::Tensor& tokens, int views, int image_size, int patch);

// Number of trainable parameters.
std::int64_t parameter_count(torch::nn::Module& module);

}  // namespace a2w::wm
