#include <cuda_runtime.h>

#include <cstdint>

#include "frames_kernel.h"

namespace a2w::wm::kernels {

namespace {

constexpr int kThreads = 256;
constexpr std::int64_t kMaxBlocks = 1 << 20;  // a grid-stride loop covers the rest

// Explicit round-to-nearest intrinsics throughout: nvcc would otherwise contract a * b + c into one fused
// multiply-add, whose single rounding differs from the CPU reference's two.
__device__ __forceinline__ float normalise(float v) {
  return __fsub_rn(__fmul_rn(v, kFrameScale), 1.0f);
}

__device__ __forceinline__ float lerp_rn(float a, float b, float l0, float l1) {
  return __fadd_rn(__fmul_rn(l0, a), __fmul_rn(l1, b));
}

// One source coordinate of an align_corners=false bilinear resize (frames_spec.h).
struct Tap {
  int i0, i1;
  float l0, l1;
};

__device__ __forceinline__ Tap axis_tap(int d, int in, float scale) {
  float src = __fsub_rn(__fmul_rn(scale, __fadd_rn(static_cast<float>(d), 0.5f)), 0.5f);
  if (src < 0.0f) src = 0.0f;
  Tap t;
  t.i0 = min(static_cast<int>(src), in - 1);
  t.i1 = min(t.i0 + 1, in - 1);
  t.l1 = __fsub_rn(src, static_cast<float>(t.i0));
  t.l0 = __fsub_rn(1.0f, t.l1);
  return t;
}

// One thread per output pixel of one frame (all channels), over every frame of every view and row.
__global__ void copy_normalise(const std::uint8_t* __restrict__ frames, float* __restrict__ out,
                               std::int64_t pixels_per_frame, std::int64_t total_pixels) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < total_pixels;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const std::int64_t frame = i / pixels_per_frame;
    const std::int64_t p = i - frame * pixels_per_frame;
    const std::uint8_t* src = frames + i * kFrameChannels;
    float* dst = out + frame * kFrameChannels * pixels_per_frame + p;
#pragma unroll
    for (int c = 0; c < kFrameChannels; ++c)
      dst[c * pixels_per_frame] = normalise(static_cast<float>(src[c]));
  }
}

__global__ void resize_normalise(const std::uint8_t* __restrict__ frames, float* __restrict__ out, int in_h,
                                 int in_w, int out_h, int out_w, float scale_y, float scale_x,
                                 bool round_resized, std::int64_t total_pixels) {
  const std::int64_t out_pixels = static_cast<std::int64_t>(out_h) * out_w;
  const std::int64_t in_frame = static_cast<std::int64_t>(in_h) * in_w * kFrameChannels;
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < total_pixels;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const std::int64_t frame = i / out_pixels;
    const std::int64_t p = i - frame * out_pixels;
    const int y = static_cast<int>(p / out_w);
    const int x = static_cast<int>(p - static_cast<std::int64_t>(y) * out_w);
    const Tap ty = axis_tap(y, in_h, scale_y);
    const Tap tx = axis_tap(x, in_w, scale_x);
    const std::uint8_t* src = frames + frame * in_frame;
    const std::uint8_t* row0 = src + static_cast<std::int64_t>(ty.i0) * in_w * kFrameChannels;
    const std::uint8_t* row1 = src + static_cast<std::int64_t>(ty.i1) * in_w * kFrameChannels;
    const int x0 = tx.i0 * kFrameChannels, x1 = tx.i1 * kFrameChannels;
    float* dst = out + frame * kFrameChannels * out_pixels + p;
#pragma unroll
    for (int c = 0; c < kFrameChannels; ++c) {
      const float top =
          lerp_rn(static_cast<float>(row0[x0 + c]), static_cast<float>(row0[x1 + c]), tx.l0, tx.l1);
      const float bottom =
          lerp_rn(static_cast<float>(row1[x0 + c]), static_cast<float>(row1[x1 + c]), tx.l0, tx.l1);
      float v = lerp_rn(top, bottom, ty.l0, ty.l1);
      if (round_resized) v = rintf(fminf(fmaxf(v, 0.0f), 255.0f));
      dst[c * out_pixels] = normalise(v);
    }
  }
}

int blocks_for(std::int64_t items) {
  const std::int64_t blocks = (items + kThreads - 1) / kThreads;
  return static_cast<int>(blocks < kMaxBlocks ? blocks : kMaxBlocks);
}

}  // namespace

int frames_to_model_cuda(const std::uint8_t* frames, float* out, const FramesSpec& spec, void* stream) {
  if (!frames_spec_problem(spec).empty()) return static_cast<int>(cudaErrorInvalidValue);
  const auto s = static_cast<cudaStream_t>(stream);
  const std::int64_t pixels = spec.batch * spec.views * spec.out_height * spec.out_width;
  if (pixels == 0) return 0;
  if (frames == nullptr || out == nullptr) return static_cast<int>(cudaErrorInvalidValue);
  if (!spec.resizes()) {
    copy_normalise<<<blocks_for(pixels), kThreads, 0, s>>>(frames, out, spec.out_height * spec.out_width,
                                                           pixels);
  } else {
    const float scale_y = static_cast<float>(spec.in_height) / static_cast<float>(spec.out_height);
    const float scale_x = static_cast<float>(spec.in_width) / static_cast<float>(spec.out_width);
    resize_normalise<<<blocks_for(pixels), kThreads, 0, s>>>(
        frames, out, static_cast<int>(spec.in_height), static_cast<int>(spec.in_width),
        static_cast<int>(spec.out_height), static_cast<int>(spec.out_width), scale_y, scale_x,
        spec.round_resized, pixels);
  }
  return static_cast<int>(cudaGetLastError());
}

const char* cuda_error_text(int error) {
  return cudaGetErrorString(static_cast<cudaError_t>(error));
}

int cuda_device_count() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky "no device" error
    return 0;
  }
  return n;
}

namespace {

// Device buffers for one spec, freed on every path out.
struct DeviceBuffers {
  std::uint8_t* frames = nullptr;
  float* out = nullptr;
  ~DeviceBuffers() {
    cudaFree(frames);
    cudaFree(out);
  }
  cudaError_t allocate(const FramesSpec& spec) {
    if (auto e = cudaMalloc(&frames, static_cast<std::size_t>(spec.input_elements()) + 1); e != cudaSuccess)
      return e;
    return cudaMalloc(&out, static_cast<std::size_t>(spec.output_elements() + 1) * sizeof(float));
  }
};

}  // namespace

int frames_to_model_cuda_from_host(const std::uint8_t* frames, float* out, const FramesSpec& spec) {
  if (!frames_spec_problem(spec).empty() || frames == nullptr || out == nullptr)
    return static_cast<int>(cudaErrorInvalidValue);
  DeviceBuffers d;
  if (auto e = d.allocate(spec); e != cudaSuccess) return static_cast<int>(e);
  const auto in_bytes = static_cast<std::size_t>(spec.input_elements());
  const auto out_bytes = static_cast<std::size_t>(spec.output_elements()) * sizeof(float);
  if (auto e = cudaMemcpy(d.frames, frames, in_bytes, cudaMemcpyHostToDevice); e != cudaSuccess)
    return static_cast<int>(e);
  if (int e = frames_to_model_cuda(d.frames, d.out, spec, nullptr); e != 0) return e;
  return static_cast<int>(cudaMemcpy(out, d.out, out_bytes, cudaMemcpyDeviceToHost));
}

double time_frames_to_model_cuda(const FramesSpec& spec, int iterations) {
  if (!frames_spec_problem(spec).empty() || iterations < 1) return -1.0;
  DeviceBuffers d;
  if (d.allocate(spec) != cudaSuccess) return -1.0;
  if (cudaMemset(d.frames, 0x5a, static_cast<std::size_t>(spec.input_elements())) != cudaSuccess) return -1.0;
  cudaEvent_t start = nullptr, stop = nullptr;
  const bool events = cudaEventCreate(&start) == cudaSuccess && cudaEventCreate(&stop) == cudaSuccess;
  double ms = -1.0;
  if (events && frames_to_model_cuda(d.frames, d.out, spec, nullptr) == 0 &&
      cudaEventRecord(start) == cudaSuccess) {
    bool ok = true;
    for (int i = 0; i < iterations && ok; ++i) ok = frames_to_model_cuda(d.frames, d.out, spec, nullptr) == 0;
    float total = 0.0f;
    if (ok && cudaEventRecord(stop) == cudaSuccess && cudaEventSynchronize(stop) == cudaSuccess &&
        cudaEventElapsedTime(&total, start, stop) == cudaSuccess)
      ms = static_cast<double>(total) / iterations;
  }
  if (start != nullptr) cudaEventDestroy(start);
  if (stop != nullptr) cudaEventDestroy(stop);
  return ms;
}

}  // namespace a2w::wm::kernels
