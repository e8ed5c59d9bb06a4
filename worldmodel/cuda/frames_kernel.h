#pragma once
// The CUDA frame-conversion kernel: uint8 HWC camera frames of every view and row -> the model's normalised
// float CHW, with optional bilinear resize, in one launch for the whole batch (frames_spec.h says exactly
// what it computes; frames_reference.h is the CPU reference it is tested against). Plain CUDA runtime, no
// LibTorch: callers pass raw device pointers, so this header needs no CUDA headers (a stream is a void*,
// an error is the cudaError_t value as an int, 0 for success).
//
// Built into a2w_cuda_kernels whenever nvcc is found; linked into a2w::wm only with -DA2W_CUDA=ON.

#include <cstdint>

#include "frames_spec.h"

namespace a2w::wm::kernels {

// Converts on the device, asynchronously on `stream` (a cudaStream_t; nullptr: the legacy default stream).
// frames: spec.input_elements() bytes, out: spec.output_elements() floats, both device memory that does not
// overlap. Returns 0, or the cudaError_t of the launch (an invalid spec gives cudaErrorInvalidValue).
int frames_to_model_cuda(const std::uint8_t* frames, float* out, const FramesSpec& spec, void* stream);

// The CUDA runtime's text for an error code this file's functions returned.
const char* cuda_error_text(int error);

// CUDA devices visible to this process; 0 when there is no device or no driver.
int cuda_device_count();

// For tests and benchmarks: host buffers in and out. Copies `frames` to the device, converts, copies the
// result to `out` and waits for it. Returns 0 or a cudaError_t.
int frames_to_model_cuda_from_host(const std::uint8_t* frames, float* out, const FramesSpec& spec);

// For benchmarks: mean milliseconds of one frames_to_model_cuda launch over `iterations` launches (CUDA
// events, after a warm-up launch) on device buffers of the spec's size. Returns a negative value on error.
double time_frames_to_model_cuda(const FramesSpec& spec, int iterations);

}  // namespace a2w::wm::kernels
