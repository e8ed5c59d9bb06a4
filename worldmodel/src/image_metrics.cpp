#include "a2w/wm/image_metrics.h"

#include <cmath>
#include <limits>
#include <string>

#include "a2w/env/error.h"

namespace a2w::wm {

double psnr_from_sse(double sse, double count) {
  if (count <= 0) return std::numeric_limits<double>::quiet_NaN();
  const double mse = sse / count;
  return mse <= 0 ? 99.0 : 10.0 * std::log10(255.0 * 255.0 / mse);
}

torch::Tensor ssim(const torch::Tensor& a, const torch::Tensor& b) {
  constexpr int kWindow = 11;
  if (a.dim() != 4 || a.sizes() != b.sizes() || a.size(3) != 3 || a.size(1) < kWindow || a.size(2) < kWindow)
    throw InvalidArgument("ssim: expected two [N, H, W, 3] batches of the same shape with H, W >= 11, got " +
                          std::to_string(a.dim()) + "-d and " + std::to_string(b.dim()) + "-d tensors");
  const auto opts = torch::TensorOptions().dtype(torch::kFloat64);
  const auto x = a.to(torch::kFloat64).permute({0, 3, 1, 2}).reshape({-1, 1, a.size(1), a.size(2)});
  const auto y = b.to(torch::kFloat64).permute({0, 3, 1, 2}).reshape({-1, 1, a.size(1), a.size(2)});
  auto g = torch::arange(kWindow, opts) - (kWindow - 1) / 2.0;
  g = torch::exp(-g.square() / (2 * 1.5 * 1.5));
  g = g / g.sum();
  const auto window = torch::outer(g, g).reshape({1, 1, kWindow, kWindow});
  auto blur = [&](const torch::Tensor& t) { return torch::conv2d(t, window); };
  const double c1 = (0.01 * 255) * (0.01 * 255), c2 = (0.03 * 255) * (0.03 * 255);
  const auto mx = blur(x), my = blur(y);
  const auto sxx = blur(x * x) - mx * mx, syy = blur(y * y) - my * my, sxy = blur(x * y) - mx * my;
  const auto map = ((2 * mx * my + c1) * (2 * sxy + c2)) / ((mx * mx + my * my + c1) * (sxx + syy + c2));
  return map.reshape({a.size(0), -1}).mean(1);
}

}  // namespace a2w::wm
