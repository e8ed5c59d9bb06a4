#pragma once
// What the frame-conversion kernel (frames_kernel.h) and its CPU reference (frames_reference.h) compute, and
// the layouts they share. Plain C++17 without CUDA or LibTorch headers, so nvcc, the host compiler and the
// tests all include it.
//
//   in:  uint8 [batch, views, in_height, in_width, 3], contiguous: the env's camera frames (row 0 at the top)
//   out: f32   [batch, views, 3, out_height, out_width], contiguous: the model's input
//
// out = v * (1 / 127.5) - 1 in single precision (v in [0, 255] -> [-1, 1]), exactly as wm::frames_to_model.
// With the output size equal to the input size v is the pixel itself, and the result is bit-identical to
// frames_to_model. Otherwise v is the bilinear sample with PyTorch's align_corners=false convention
// (F::interpolate mode bilinear, no antialiasing), per axis:
//   src = max(0, (dst + 0.5) * (in / out) - 0.5),  i0 = floor(src),  i1 = min(i0 + 1, in - 1),
//   l = src - i0,  and a sample is (1 - l) * p[i0] + l * p[i1]: first along each of the two source rows,
//   then between those two row samples.
// round_resized rounds v to the nearest 8-bit level (ties to even, as torch's round_) before normalising: the
// value the training pipeline's uint8 resize (window_loader.cpp) would hand to frames_to_model.

#include <cstdint>
#include <string>

namespace a2w::wm::kernels {

inline constexpr int kFrameChannels = 3;

struct FramesSpec {
  std::int64_t batch = 0;      // rows (envs)
  std::int64_t views = 0;      // cameras per row
  std::int64_t in_height = 0;  // input frames, pixels
  std::int64_t in_width = 0;
  std::int64_t out_height = 0;  // output frames; equal to the input size: no resize
  std::int64_t out_width = 0;
  bool round_resized = false;  // round resized values to 8-bit levels first (no effect without resize)

  bool resizes() const { return out_height != in_height || out_width != in_width; }
  std::int64_t input_elements() const { return batch * views * in_height * in_width * kFrameChannels; }
  std::int64_t output_elements() const { return batch * views * kFrameChannels * out_height * out_width; }
};

// The scale that maps [0, 255] to [-1, 1]: 1 / 127.5 rounded to single precision, as LibTorch applies it.
inline constexpr float kFrameScale = static_cast<float>(1.0 / 127.5);

// "" when the spec is usable, else what is wrong with it.
inline std::string frames_spec_problem(const FramesSpec& s) {
  if (s.batch < 0 || s.views < 0)
    return "FramesSpec: expected batch >= 0 and views >= 0, got batch " + std::to_string(s.batch) +
           ", views " + std::to_string(s.views);
  if (s.in_height < 1 || s.in_width < 1 || s.out_height < 1 || s.out_width < 1)
    return "FramesSpec: expected frame sizes >= 1, got input " + std::to_string(s.in_height) + "x" +
           std::to_string(s.in_width) + ", output " + std::to_string(s.out_height) + "x" +
           std::to_string(s.out_width);
  constexpr std::int64_t kMaxSide = 1 << 15;
  if (s.in_height > kMaxSide || s.in_width > kMaxSide || s.out_height > kMaxSide || s.out_width > kMaxSide)
    return "FramesSpec: expected frame sides <= " + std::to_string(kMaxSide) + " pixels";
  return "";
}

}  // namespace a2w::wm::kernels
