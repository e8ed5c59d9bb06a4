#include "frames_reference.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "a2w/env/error.h"

namespace a2w::wm::kernels {

namespace {

// One axis of a bilinear resize: for each output coordinate, the two source coordinates and the weight of
// the second (align_corners=false, as frames_spec.h writes it).
struct AxisTaps {
  std::vector<std::int64_t> i0, i1;
  std::vector<float> l1;
};

AxisTaps axis_taps(std::int64_t in, std::int64_t out) {
  AxisTaps t;
  const float scale = static_cast<float>(in) / static_cast<float>(out);
  for (std::int64_t d = 0; d < out; ++d) {
    float src = scale * (static_cast<float>(d) + 0.5f) - 0.5f;
    if (src < 0.0f) src = 0.0f;
    const auto i0 = std::min(static_cast<std::int64_t>(src), in - 1);
    t.i0.push_back(i0);
    t.i1.push_back(std::min(i0 + 1, in - 1));
    t.l1.push_back(src - static_cast<float>(i0));
  }
  return t;
}

}  // namespace

void frames_to_model_reference(const std::uint8_t* frames, float* out, const FramesSpec& spec) {
  if (const auto problem = frames_spec_problem(spec); !problem.empty()) throw InvalidArgument(problem);
  const std::int64_t h = spec.in_height, w = spec.in_width, oh = spec.out_height, ow = spec.out_width;
  const std::int64_t c = kFrameChannels;
  const std::int64_t frames_count = spec.batch * spec.views;
  if (!spec.resizes()) {
    for (std::int64_t f = 0; f < frames_count; ++f) {
      const std::uint8_t* src = frames + f * h * w * c;
      float* dst = out + f * c * h * w;
      for (std::int64_t p = 0; p < h * w; ++p)
        for (std::int64_t ch = 0; ch < c; ++ch)
          dst[ch * h * w + p] = static_cast<float>(src[p * c + ch]) * kFrameScale - 1.0f;
    }
    return;
  }
  const auto rows = axis_taps(h, oh);
  const auto cols = axis_taps(w, ow);
  for (std::int64_t f = 0; f < frames_count; ++f) {
    const std::uint8_t* src = frames + f * h * w * c;
    float* dst = out + f * c * oh * ow;
    for (std::int64_t y = 0; y < oh; ++y) {
      const std::uint8_t* row0 = src + rows.i0[y] * w * c;
      const std::uint8_t* row1 = src + rows.i1[y] * w * c;
      const float ly1 = rows.l1[y];
      const float ly0 = 1.0f - ly1;
      for (std::int64_t x = 0; x < ow; ++x) {
        const std::int64_t x0 = cols.i0[x] * c, x1 = cols.i1[x] * c;
        const float lx1 = cols.l1[x];
        const float lx0 = 1.0f - lx1;
        for (std::int64_t ch = 0; ch < c; ++ch) {
          const float top = lx0 * static_cast<float>(row0[x0 + ch]) + lx1 * static_cast<float>(row0[x1 + ch]);
          const float bottom =
              lx0 * static_cast<float>(row1[x0 + ch]) + lx1 * static_cast<float>(row1[x1 + ch]);
          float v = ly0 * top + ly1 * bottom;
          if (spec.round_resized) v = std::nearbyint(std::clamp(v, 0.0f, 255.0f));
          dst[ch * oh * ow + y * ow + x] = v * kFrameScale - 1.0f;
        }
      }
    }
  }
}

}  // namespace a2w::wm::kernels
