#pragma once
// The training loss of A2World on one batch of windows (window_loader.h):
//
//   denoise  EDM: sigma ~ exp(N(p_mean, p_std)) clipped to [sigma_min, train_sigma_max]; F is trained against
//            (x0 - c_skip x) / c_out with unit weight (which is EDM's weighting), each pixel weighted
//            1 + moving_pixel_weight where the target differs from the last true context frame by more than
//            moving_pixel_threshold levels: the probe's model won PSNR by erasing what moves, and the pixels
//            that move are the ones that carry the dynamics.
//   state    masked MSE of the normalised next state (state_normalizer.h), over the entries the task has;
//            with config.state_input the head predicts the change over the normaliser's delta_rms, from the
//            input state noised with sigma ~ U(0, state_input_noise) per row
//   success  BCE of the success logit;  reward: MSE
//   total    denoise + state_loss_weight state + success_loss_weight success + reward_loss_weight reward
//
// Against drift in long rollouts (both on by default): the K context frames get Gaussian noise of a level
// drawn per row from U(0, context_noise_train_max), and the level is fed to the model (DIAMOND); with
// self-forcing on, each row that has a previous action is, with probability self_forcing_prob, given the
// model's own `self_forcing_steps`-step prediction (no gradient, quantised like an imagined frame) in place
// of its most recent context frame (A2World's self-forcing), and with config.state_self_forcing its own
// predicted state in place of the true input state.
//
// Every random draw comes from `generator` (a CPU generator), so a step is reproducible from its seed.

#include <torch/torch.h>

#include "a2w/wm/a2world_net.h"
#include "a2w/wm/state_normalizer.h"
#include "a2w/wm/window_loader.h"

namespace a2w::wm {

struct LossTerms {
  torch::Tensor total;  // scalar with gradient
  double denoise = 0, state = 0, success = 0, reward = 0;
  std::int64_t self_forced = 0;  // rows whose last context frame was the model's own prediction
};

// `batch` must be on the net's device; `normalizer` too.
LossTerms world_model_loss(A2WorldNet& net, const TrainBatch& batch, const StateNormalizer& normalizer,
                           at::Generator& generator, bool self_forcing);

}  // namespace a2w::wm
