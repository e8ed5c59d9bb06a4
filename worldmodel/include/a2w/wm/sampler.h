#pragma once
// The EDM denoiser around A2WorldNet, and the few-step sampler that imagines one frame per view.
//
// Sampling starts from x = sigma_max * noise and takes `steps` Euler (or Heun) steps down the Karras schedule
// (edm.h) to sigma 0; the last step lands on the denoiser's output. DIAMOND found 3 Euler steps stable at 64
// x 64 where DDPM drifts; the probe found more steps sharper but less accurate. The result is clamped and
// quantised to 8 bits. The heads are read at the last network evaluation, where the trunk sees the frame it
// is about to emit, so the predicted state describes the imagined frame.

#include <torch/torch.h>

#include "a2w/wm/a2world_net.h"

namespace a2w::wm {

// D(x, sigma) = c_skip x + c_out F(c_in x, c_noise) for x f32 [B, V, 3, H, W] and sigma f32 [B] (> 0).
// `heads` (may be null) receives the heads of this evaluation.
torch::Tensor denoise(A2WorldNet& net, const torch::Tensor& x, const torch::Tensor& sigma,
                      const torch::Tensor& context_tokens, const Condition& condition, NetOutput* heads);

struct SampleResult {
  torch::Tensor frames;  // f32 [B, V, 3, H, W] in [-1, 1], quantised to 8 bits
  NetOutput heads;       // state, success_logit, reward of the last network evaluation (f unset)
};

// Samples the next frame of every view. context_tokens and condition come from A2WorldNet::embed_context and
// embed_condition; noise f32 [B, V, 3, H, W] is the starting noise (unit variance). heun: Heun's second-order
// correction on every step but the last (which lands on sigma 0). Costs `steps` network evaluations with
// Euler, 2 * steps - 1 with Heun.
SampleResult sample_next_frames(A2WorldNet& net, const torch::Tensor& context_tokens,
                                const Condition& condition, const torch::Tensor& noise, int steps, bool heun);

}  // namespace a2w::wm
