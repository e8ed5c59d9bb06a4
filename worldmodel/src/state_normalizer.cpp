#include "a2w/wm/state_normalizer.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "a2w/env/error.h"
#include "a2w/wm/checkpoint.h"

namespace a2w::wm {

StateNormalizer StateNormalizer::identity(int state_dim) {
  return {torch::zeros({state_dim}, torch::kFloat32), torch::ones({state_dim}, torch::kFloat32),
          torch::ones({state_dim}, torch::kFloat32)};
}

StateNormalizer StateNormalizer::from_moments(const std::vector<double>& count,
                                              const std::vector<double>& sum,
                                              const std::vector<double>& sum_sq, double min_std) {
  if (count.size() != sum.size() || sum.size() != sum_sq.size())
    throw InvalidArgument(
        "StateNormalizer::from_moments: expected count, sum and sum_sq of one length, got " +
        std::to_string(count.size()) + ", " + std::to_string(sum.size()) + ", " +
        std::to_string(sum_sq.size()));
  const auto n = static_cast<std::int64_t>(count.size());
  auto mean = torch::zeros({n}, torch::kFloat32), std = torch::ones({n}, torch::kFloat32);
  for (std::int64_t i = 0; i < n; ++i) {
    const auto k = static_cast<std::size_t>(i);
    if (count[k] <= 0) continue;
    const double m = sum[k] / count[k];
    const double var = std::max(0.0, sum_sq[k] / count[k] - m * m);
    mean[i] = m;
    std[i] = std::max(std::sqrt(var), min_std);
  }
  return {mean, std, torch::ones({n}, torch::kFloat32)};
}

StateNormalizer StateNormalizer::with_delta(const std::vector<double>& count,
                                            const std::vector<double>& sum_sq, double min_rms) const {
  const auto n = std.size(0);
  if (static_cast<std::int64_t>(count.size()) != n || static_cast<std::int64_t>(sum_sq.size()) != n)
    throw InvalidArgument("StateNormalizer::with_delta: expected count and sum_sq of length " +
                          std::to_string(n) + ", got " + std::to_string(count.size()) + " and " +
                          std::to_string(sum_sq.size()));
  StateNormalizer out = *this;
  out.delta_rms = torch::ones({n}, torch::kFloat32);
  const auto s = std.to(torch::kCPU);
  for (std::int64_t i = 0; i < n; ++i) {
    const auto k = static_cast<std::size_t>(i);
    if (count[k] <= 0) continue;
    out.delta_rms[i] = std::max(std::sqrt(sum_sq[k] / count[k]) / s[i].item<double>(), min_rms);
  }
  return out;
}

torch::Tensor StateNormalizer::normalize(const torch::Tensor& state) const {
  return (state - mean.to(state.device())) / std.to(state.device());
}

torch::Tensor StateNormalizer::apply_change(const torch::Tensor& z, const torch::Tensor& change) const {
  return torch::addcmul(z, change, delta_rms.to(z.device()));
}

torch::Tensor StateNormalizer::change_between(const torch::Tensor& z, const torch::Tensor& z_next) const {
  return (z_next - z) / delta_rms.to(z.device());
}

torch::Tensor StateNormalizer::denormalize(const torch::Tensor& z) const {
  return torch::addcmul(mean.to(z.device()), z, std.to(z.device()));
}

StateNormalizer StateNormalizer::to(torch::Device device) const {
  return {mean.to(device), std.to(device), delta_rms.to(device)};
}

StateNormalizer read_normalizer(const Checkpoint& checkpoint) {
  StateNormalizer n{checkpoint.at("norm/state_mean"), checkpoint.at("norm/state_std"), torch::Tensor()};
  n.delta_rms = checkpoint.has("norm/state_delta_rms") ? checkpoint.at("norm/state_delta_rms")
                                                       : torch::ones_like(n.std);
  if (n.delta_rms.sizes() != n.std.sizes())
    throw InvalidArgument("checkpoint " + checkpoint.source + ": expected norm/state_delta_rms of shape " +
                          c10::str(n.std.sizes()) + ", got " + c10::str(n.delta_rms.sizes()));
  return n;
}

void add_normalizer(Checkpoint& checkpoint, const StateNormalizer& normalizer) {
  checkpoint.tensors["norm/state_mean"] = normalizer.mean.to(torch::kCPU);
  checkpoint.tensors["norm/state_std"] = normalizer.std.to(torch::kCPU);
  checkpoint.tensors["norm/state_delta_rms"] = normalizer.delta_rms.to(torch::kCPU);
}

}  // namespace a2w::wm
