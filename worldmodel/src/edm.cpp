#include "a2w/wm/edm.h"

#include <cmath>
#include <string>

#include "a2w/env/error.h"

namespace a2w::wm {

EdmScaling edm_scaling(double sigma, double sigma_data) {
  if (!(sigma > 0) || !(sigma_data > 0))
    throw InvalidArgument("edm_scaling: expected sigma > 0 and sigma_data > 0, got sigma " +
                          std::to_string(sigma) + ", sigma_data " + std::to_string(sigma_data));
  const double s2 = sigma * sigma, d2 = sigma_data * sigma_data, r = std::sqrt(s2 + d2);
  return {d2 / (s2 + d2), sigma * sigma_data / r, 1.0 / r, 0.25 * std::log(sigma)};
}

EdmScalingTensors edm_scaling(const torch::Tensor& sigma, double sigma_data) {
  const double d2 = sigma_data * sigma_data;
  const auto s2 = sigma * sigma;
  const auto denom = s2 + d2;
  const auto r = denom.sqrt();
  return {d2 / denom, sigma * sigma_data / r, r.reciprocal(), 0.25 * sigma.log()};
}

std::vector<double> karras_sigmas(int steps, double sigma_min, double sigma_max, double rho) {
  if (steps < 1)
    throw InvalidArgument("karras_sigmas: expected at least 1 step, got " + std::to_string(steps));
  if (!(sigma_min > 0 && sigma_min <= sigma_max && rho > 0))
    throw InvalidArgument("karras_sigmas: expected 0 < sigma_min <= sigma_max and rho > 0");
  std::vector<double> s;
  const double a = std::pow(sigma_max, 1.0 / rho), b = std::pow(sigma_min, 1.0 / rho);
  for (int i = 0; i < steps; ++i) {
    const double f = steps == 1 ? 0.0 : static_cast<double>(i) / (steps - 1);
    s.push_back(std::pow(a + f * (b - a), rho));
  }
  s.push_back(0.0);
  return s;
}

torch::Tensor context_noise_feature(const torch::Tensor& sigma_context) {
  return 0.25 * (sigma_context + 0.002).log();
}

}  // namespace a2w::wm
