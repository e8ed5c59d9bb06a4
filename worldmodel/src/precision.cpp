#include "a2w/wm/precision.h"

#include <ATen/autocast_mode.h>
#include <torch/version.h>

#include <fstream>
#include <sstream>

#include "a2w/env/error.h"

namespace a2w::wm {

namespace {

// LibTorch 2.4 replaced the per-device autocast functions (is_enabled, set_cpu_enabled, ...) by ones that
// take the device type, and deprecated the old ones; Debian 12 has 1.13, a CUDA LibTorch from pip is 2.x.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
bool autocast_enabled(c10::DeviceType d) {
  return at::autocast::is_autocast_enabled(d);
}
void set_autocast_enabled(c10::DeviceType d, bool on) {
  at::autocast::set_autocast_enabled(d, on);
}
at::ScalarType autocast_dtype(c10::DeviceType d) {
  return at::autocast::get_autocast_dtype(d);
}
void set_autocast_dtype(c10::DeviceType d, at::ScalarType t) {
  at::autocast::set_autocast_dtype(d, t);
}
#else
bool autocast_enabled(c10::DeviceType d) {
  return d == c10::DeviceType::CUDA ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
}
void set_autocast_enabled(c10::DeviceType d, bool on) {
  if (d == c10::DeviceType::CUDA)
    at::autocast::set_enabled(on);
  else
    at::autocast::set_cpu_enabled(on);
}
at::ScalarType autocast_dtype(c10::DeviceType d) {
  return d == c10::DeviceType::CUDA ? at::autocast::get_autocast_gpu_dtype()
                                    : at::autocast::get_autocast_cpu_dtype();
}
void set_autocast_dtype(c10::DeviceType d, at::ScalarType t) {
  if (d == c10::DeviceType::CUDA)
    at::autocast::set_autocast_gpu_dtype(t);
  else
    at::autocast::set_autocast_cpu_dtype(t);
}
#endif

}  // namespace

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
  const auto type = cuda_ ? c10::DeviceType::CUDA : c10::DeviceType::CPU;
  was_enabled_ = autocast_enabled(type);
  old_dtype_ = autocast_dtype(type);
  set_autocast_dtype(type, at::kBFloat16);
  set_autocast_enabled(type, true);
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
  const auto type = cuda_ ? c10::DeviceType::CUDA : c10::DeviceType::CPU;
  set_autocast_enabled(type, was_enabled_);
  set_autocast_dtype(type, old_dtype_);
}

}  // namespace a2w::wm
