#pragma once
// Precision: float32 everywhere, or bfloat16 matrix products with everything else in float32 (autocast: the
// weights, the EMA, the optimizer state, layer norms, softmax, the losses and the sampler's arithmetic stay
// float32; only GEMM inputs are rounded to bfloat16, and each product accumulates in float32).
//
// Why: on CPUs with AVX512-BF16 or AMX (AMD Zen 4, Intel Sapphire Rapids and later) oneDNN multiplies
// bfloat16 matrices about 4x faster than OpenBLAS multiplies float32 ones. Measured on this machine's 2-core
// EPYC with the "cpu" preset: predict() at batch 16 2.7x faster (2 threads: 78 instead of 29 imagined
// steps/s), a training step 2.4x; imagined frames differ from float32 ones by about 0.2 8-bit levels on
// average (max 2), and a 542-step training run's loss curve matches float32's to 3 digits. Where the CPU
// lacks those instructions bfloat16 is emulated and slower, so "auto" picks float32 there. On CUDA "auto" is
// bfloat16.

#include <torch/torch.h>

#include <string>

namespace a2w::wm {

enum class Precision { kFloat32, kBFloat16 };

// "float32", "bfloat16" or "auto" (bfloat16 on CUDA and on CPUs with fast bfloat16, else float32).
// Throws InvalidArgument for another name.
Precision parse_precision(const std::string& name, torch::Device device);
std::string precision_name(Precision precision);
// Whether this CPU multiplies bfloat16 matrices natively (avx512_bf16 or amx_bf16 in /proc/cpuinfo).
bool cpu_has_fast_bfloat16();

// Turns autocast on for `device`'s type while alive when `precision` is bfloat16 (and restores the previous
// state). Wrap forward passes only; backward runs outside, as with torch.autocast.
class PrecisionGuard {
 public:
  PrecisionGuard(Precision precision, torch::Device device);
  ~PrecisionGuard();
  PrecisionGuard(const PrecisionGuard&) = delete;
  PrecisionGuard& operator=(const PrecisionGuard&) = delete;

 private:
  bool active_ = false, cuda_ = false, was_enabled_ = false, was_caching_ = true;
  at::ScalarType old_dtype_ = at::kBFloat16;
};

}  // namespace a2w::wm
