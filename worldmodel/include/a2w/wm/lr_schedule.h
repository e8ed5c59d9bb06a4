#pragma once
// The learning-rate schedule of every a2w training loop (world model, behaviour cloning): a linear warm-up to
// `peak` over `warmup` steps, then a cosine decay to min_ratio * peak at step `steps`, flat after it.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>

namespace a2w::wm {

inline double warmup_cosine_lr(double peak, double min_ratio, std::int64_t warmup, std::int64_t steps,
                               std::int64_t step) {
  if (step < warmup) return peak * static_cast<double>(step + 1) / static_cast<double>(warmup);
  const double span = std::max<double>(1.0, static_cast<double>(steps - warmup));
  const double f = std::min(1.0, static_cast<double>(step - warmup) / span);
  return peak * (min_ratio + (1.0 - min_ratio) * 0.5 * (1.0 + std::cos(std::numbers::pi * f)));
}

}  // namespace a2w::wm
