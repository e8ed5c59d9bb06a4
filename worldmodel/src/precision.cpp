#include "a2w/wm/precision.h"

#include <ATen/autocast_mode.h>

#include <fstream>
#include <sstream>

#include "a2w/env/error.h"

namespace a2w::wm {

bool cpu_has_fast_bfloat16() {
  static const bool fast = [] {
    std::ifstream in("/proc/cpuinfo");
    for (std::string line; std::getline(in, line);) {
      if (line.rfind("flags", 0) != 0) continue;
      std::istringstream words(line);
      for (std::string w; words >> w;)
        if (w == "avx512_bf16" || w == "amx_bf16") return true;
      return false;  // the first CPU's flags speak for all
    }
    return false;
  }();
  return fast;
}

Precision parse_precision(const std::string& name, torch::Device device) {
  if (name == "float32") return Precision::kFloat32;
  if (name == "bfloat16") return Precision::kBFloat16;
  if (name == "auto")
    return device.is_cuda() || cpu_has_fast_bfloat16() ? Precision::kBFloat16 : Precision::kFloat32;
  throw InvalidArgument("precision: expected auto, float32 or bfloat16, got '" + name + "'");
}

std::string precision_name(Precision precision) {
  return precision == Precision::kBFloat16 ? "bfloat16" : "float32";
}

PrecisionGuard::PrecisionGuard(Precision precision, torch::Device device) {
  if (precision != Precision::kBFloat16) return;
  active_ = true;
  cuda_ = device.is_cuda();
  if (cuda_) {
    was_enabled_ = at::autocast::is_enabled();
    old_dtype_ = at::autocast::get_autocast_gpu_dtype();
    at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
    at::autocast::set_enabled(true);
  } else {
    was_enabled_ = at::autocast::is_cpu_enabled();
    old_dtype_ = at::autocast::get_autocast_cpu_dtype();
    at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
    at::autocast::set_cpu_enabled(true);
  }
  // No cast cache: a cast cached during a no_grad pass (self-forcing's own prediction) would be reused by the
  // next pass with gradients and cut the weights off from theirs. Casting 8M weights per pass costs little.
  was_caching_ = at::autocast::is_autocast_cache_enabled();
  at::autocast::set_autocast_cache_enabled(false);
  at::autocast::increment_nesting();
}

PrecisionGuard::~PrecisionGuard() {
  if (!active_) return;
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  at::autocast::set_autocast_cache_enabled(was_caching_);
  if (cuda_) {
    at::autocast::set_enabled(was_enabled_);
    at::autocast::set_autocast_gpu_dtype(old_dtype_);
  } else {
    at::autocast::set_cpu_enabled(was_enabled_);
    at::autocast::set_autocast_cpu_dtype(old_dtype_);
  }
}

}  // namespace a2w::wm
