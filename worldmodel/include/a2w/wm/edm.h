#pragma once
// EDM (Karras et al. 2022, "Elucidating the Design Space of Diffusion-Based Generative Models"): the
// preconditioning that wraps the network F into the denoiser
//
//   D(x, sigma) = c_skip(sigma) x + c_out(sigma) F(c_in(sigma) x, c_noise(sigma))
//
// with c_skip = sd^2 / (sigma^2 + sd^2), c_out = sigma sd / sqrt(sigma^2 + sd^2), c_in = 1 / sqrt(sigma^2 +
// sd^2), c_noise = ln(sigma) / 4 (sd = sigma_data, 0.5 for frames in [-1, 1]). With these, training F against
// (x0 - c_skip x) / c_out with unit weight is EDM's loss weighting exactly, and F's input and target both
// have unit variance at every noise level. The sampler walks the Karras schedule (rho 7) from sigma_max down.

#include <torch/torch.h>

#include <cmath>
#include <vector>

namespace a2w::wm {

struct EdmScaling {
  double c_skip = 0, c_out = 0, c_in = 0, c_noise = 0;
};

// The four coefficients for one sigma (> 0).
EdmScaling edm_scaling(double sigma, double sigma_data);

// The same per row: sigma f32 [B] -> four f32 [B] tensors.
struct EdmScalingTensors {
  torch::Tensor c_skip, c_out, c_in, c_noise;
};
EdmScalingTensors edm_scaling(const torch::Tensor& sigma, double sigma_data);

// Karras et al.'s schedule: `steps` sigmas from sigma_max down to sigma_min, spaced evenly in sigma^(1/rho),
// followed by a final 0 (steps + 1 values). steps == 1 gives {sigma_max, 0}.
std::vector<double> karras_sigmas(int steps, double sigma_min, double sigma_max, double rho);

// How a noise level enters the conditioning vector of A2WorldNet: c_noise for the target's sigma, and the
// same map for the context-noise level, shifted so that a level of 0 (clean context) stays finite.
inline double context_noise_feature(double sigma_context) {
  return 0.25 * std::log(sigma_context + 0.002);
}
torch::Tensor context_noise_feature(const torch::Tensor& sigma_context);

}  // namespace a2w::wm
