#pragma once
// WorldModelConfig: every size and recipe choice of A2World in one struct, stored inside each checkpoint, so
// the same code runs a tiny test model, the CPU default and a much larger GPU model.

#include <cstdint>
#include <string>
#include <vector>

#include "a2w/env/value.h"

namespace a2w::wm {

struct WorldModelConfig {
  // Frames.
  int image_size = 64;       // square views, pixels
  int views = 2;             // agentview_rgb, eye_in_hand_rgb
  std::vector<std::string> view_keys{"agentview_rgb", "eye_in_hand_rgb"};
  int context_frames = 2;    // K most recent frames per view (plus the episode's first frame, the anchor)
  bool anchor_frame = true;
  // Transformer (DiT with adaLN-Zero).
  int patch = 8;
  int width = 256;
  int depth = 6;
  int heads = 4;
  int mlp_ratio = 4;
  // Conditioning.
  int action_dim = 7;
  int action_horizon = 1;    // actions per conditioning chunk (flattened into the adaLN vector)
  std::vector<std::string> tasks;  // task ids with an embedding row; empty: no task embedding
  int task_slots = 16;       // capacity of the task embedding (adaptation adds tasks into free rows)
  // Heads on the shared trunk.
  int state_dim = 32;        // env/state.h layout
  int head_token_dim = 8;    // per-token features the heads read (flattened, so positions survive pooling)
  // The current state as an input (state_input): the state head then predicts the change of the normalised
  // state in units of its per-step spread (state_normalizer.h), from the trunk, the current state and the
  // actions, and the state also conditions the frames (adaLN). Off in checkpoints from before the field.
  bool state_input = true;
  double state_input_noise = 0.02;  // training: input state noised with sigma ~ U(0, this), normalised units
  bool state_self_forcing = false;   // self-forced rows also take their own predicted state as input
  // EDM (Karras et al. 2022).
  double sigma_data = 0.5;
  double p_mean = -0.4, p_std = 1.2;   // log-normal training sigmas
  double sigma_min = 0.002, sigma_max = 5.0, rho = 7.0;  // sampler schedule
  int sampling_steps = 3;
  std::string sampler = "euler";       // "euler" or "heun"
  double context_noise_train_max = 0.3;  // context frames noised with sigma ~ U(0, max) in training
  double context_noise_infer = 0.02;     // and this level at inference (DIAMOND)
  double train_sigma_max = 20.0;         // training sigmas are clipped to [sigma_min, train_sigma_max]
  // Training.
  double moving_pixel_weight = 4.0;    // extra loss weight on pixels that change between context and target
  int moving_pixel_threshold = 4;      // "changes": some channel differs by more than this many 8-bit levels
  double self_forcing_prob = 0.4;      // after warm-up: context replaced by the model's own prediction
  int self_forcing_warmup = 2000;      // iterations
  int self_forcing_steps = 2;          // sampler steps of that prediction (A2World: 1-5)
  double state_loss_weight = 1.0;      // masked MSE of the normalised state
  double success_loss_weight = 0.2;    // BCE of the success logit
  double reward_loss_weight = 0.2;     // MSE of the reward
  double ema_decay = 0.999;

  int tokens_per_view() const { return (image_size / patch) * (image_size / patch); }
  int context_channels() const { return 3 * (context_frames + (anchor_frame ? 1 : 0)); }

  // Presets: "tiny" (tests, seconds on CPU), "cpu" (the shipped default, 2 CPU cores), "gpu" (4x wider).
  static WorldModelConfig preset(const std::string& name);
  // Throws InvalidArgument naming the first inconsistent field (patch not dividing image_size, ...).
  void validate() const;
  env::Dict to_dict() const;
  static WorldModelConfig from_dict(const env::Dict& d);
};

}  // namespace a2w::wm
