#pragma once
// The CPU reference of the frame-conversion kernel (frames_kernel.h): uint8 HWC camera frames of every view
// and row -> normalised float CHW, with optional bilinear resize. frames_spec.h says exactly what it
// computes. Plain C++ (no CUDA, no LibTorch): built always, so the kernel's test has something to compare
// with wherever it runs, and the definition is testable on machines without a GPU.

#include <cstdint>

#include "frames_spec.h"

namespace a2w::wm::kernels {

// frames: spec.input_elements() bytes; out: spec.output_elements() floats (layouts in frames_spec.h).
// Throws a2w::InvalidArgument when frames_spec_problem(spec) is not empty.
void frames_to_model_reference(const std::uint8_t* frames, float* out, const FramesSpec& spec);

}  // namespace a2w::wm::kernels
