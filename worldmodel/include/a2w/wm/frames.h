#pragma once
// Frames between the env's layout and the model's: the env (and datasets) hold uint8 [..., H, W, 3] with row
// 0 at the top; the network works on f32 [..., 3, H, W] in [-1, 1] (so sigma_data 0.5 fits). Every frame the
// model emits goes through to_uint8, clamped and rounded to 8 bits (DIAMOND): an imagined rollout then feeds
// back exactly the kind of frame a camera gives, and tiny out-of-range values cannot compound.
//
// Per-row seeded noise lives here too: row b's noise is drawn from a generator seeded by seeds[b] alone, so
// an episode imagines the same frames whatever batch it is stepped in.

#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace a2w::wm {

// uint8 [..., H, W, 3] -> f32 [..., 3, H, W] in [-1, 1] (any device; stays there).
torch::Tensor frames_to_model(const torch::Tensor& frames);
// f32 [..., 3, H, W] -> uint8 [..., H, W, 3], clamped to [-1, 1] and rounded to the nearest 8-bit level.
torch::Tensor frames_to_uint8(const torch::Tensor& x);
// The model-space value of to_uint8's result (x clamped and rounded to k / 127.5 - 1), same layout as x.
torch::Tensor quantize_frames(const torch::Tensor& x);

// Standard normal noise [seeds.size(), row_shape...] on `device`; row b depends only on (seeds[b], stream).
// Drawn on the CPU (one generator per row) and copied, so it is the same on every device.
torch::Tensor seeded_normal(const std::vector<std::uint64_t>& seeds, std::uint64_t stream,
                            const std::vector<std::int64_t>& row_shape, torch::Device device);

}  // namespace a2w::wm
