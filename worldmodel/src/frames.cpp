#include "a2w/wm/frames.h"

#include <ATen/CPUGeneratorImpl.h>

#include "a2w/env/rng.h"

namespace a2w::wm {

torch::Tensor frames_to_model(const torch::Tensor& frames) {
  return frames.movedim(-1, -3).to(torch::kFloat32).mul(1.0 / 127.5).sub_(1.0);
}

torch::Tensor frames_to_uint8(const torch::Tensor& x) {
  return x.clamp(-1.0, 1.0).add(1.0).mul_(127.5).round_().to(torch::kUInt8).movedim(-3, -1).contiguous();
}

torch::Tensor quantize_frames(const torch::Tensor& x) {
  return x.clamp(-1.0, 1.0).add(1.0).mul_(127.5).round_().mul_(1.0 / 127.5).sub_(1.0);
}

torch::Tensor seeded_normal(const std::vector<std::uint64_t>& seeds, std::uint64_t stream,
                            const std::vector<std::int64_t>& row_shape, torch::Device device) {
  std::vector<std::int64_t> shape{static_cast<std::int64_t>(seeds.size())};
  shape.insert(shape.end(), row_shape.begin(), row_shape.end());
  // Pinned host memory when the noise goes to a GPU: the copy then runs without a staging buffer.
  auto out =
      torch::empty(shape, torch::TensorOptions().dtype(torch::kFloat32).pinned_memory(device.is_cuda()));
  // Rows are independent streams, so they are drawn in parallel (the same numbers on any thread count): at
  // batch 256 the draws are ~19M normals a step, which one thread made the whole step's cost on a GPU.
  at::parallel_for(0, static_cast<std::int64_t>(seeds.size()), 1, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t b = begin; b < end; ++b) {
      auto gen = at::detail::createCPUGenerator(
          env::splitmix64(seeds[static_cast<std::size_t>(b)] ^ env::splitmix64(stream + 1)));
      out[b].normal_(0.0, 1.0, gen);
    }
  });
  return device.is_cpu() ? out : out.to(device, /*non_blocking=*/true);
}

}  // namespace a2w::wm
