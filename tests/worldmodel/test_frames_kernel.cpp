// The frame-conversion kernel of worldmodel/cuda/: its CPU reference against values computed by hand, a
// constant image, the layouts, and LibTorch's own frames_to_model and bilinear interpolate; and, in a CUDA
// build on a machine with a GPU, the kernel against that reference (skipped, and reported as skipped, when
// no GPU is visible). With A2W_KERNEL_REPORT=FILE the CUDA test also writes its differences and timings there
// as JSON (benchmarks/gpu/run.sh reads it).

#include <doctest/doctest.h>
#include <torch/torch.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "a2w/env/error.h"
#include "a2w/wm/frames.h"
#include "frames_reference.h"
#include "frames_spec.h"
#ifdef A2W_CUDA
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "frames_kernel.h"
#endif

using a2w::wm::kernels::frames_to_model_reference;
using a2w::wm::kernels::FramesSpec;

namespace {

FramesSpec spec_of(std::int64_t b, std::int64_t v, std::int64_t h, std::int64_t w, std::int64_t oh,
                   std::int64_t ow, bool round_resized = false) {
  FramesSpec s;
  s.batch = b;
  s.views = v;
  s.in_height = h;
  s.in_width = w;
  s.out_height = oh;
  s.out_width = ow;
  s.round_resized = round_resized;
  return s;
}

std::vector<float> reference(const std::vector<std::uint8_t>& frames, const FramesSpec& s) {
  std::vector<float> out(static_cast<std::size_t>(s.output_elements()), 99.0f);
  frames_to_model_reference(frames.data(), out.data(), s);
  return out;
}

std::vector<std::uint8_t> random_frames(const FramesSpec& s, std::uint64_t seed) {
  std::vector<std::uint8_t> f(static_cast<std::size_t>(s.input_elements()));
  std::uint64_t x = seed * 0x9e3779b97f4a7c15ULL + 1;
  for (auto& v : f) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    v = static_cast<std::uint8_t>(x >> 56);
  }
  return f;
}

float normalised(double v) {
  return static_cast<float>(v) * static_cast<float>(1.0 / 127.5) - 1.0f;
}

double max_abs_diff(const float* a, const float* b, std::size_t n) {
  double m = 0.0;
  for (std::size_t i = 0; i < n; ++i) m = std::max(m, std::abs(static_cast<double>(a[i]) - b[i]));
  return m;
}

// LibTorch's definition of the same thing: uint8 [B, V, H, W, 3] -> f32 [B, V, 3, OH, OW].
torch::Tensor torch_frames(const std::vector<std::uint8_t>& frames, const FramesSpec& s) {
  auto t = torch::from_blob(const_cast<std::uint8_t*>(frames.data()),
                            {s.batch, s.views, s.in_height, s.in_width, 3}, torch::kUInt8)
               .clone();
  if (!s.resizes()) return a2w::wm::frames_to_model(t).contiguous();  // movedim keeps HWC in memory
  namespace F = torch::nn::functional;
  auto x = t.reshape({-1, s.in_height, s.in_width, 3}).permute({0, 3, 1, 2}).to(torch::kFloat32);
  x = F::interpolate(x, F::InterpolateFuncOptions()
                            .size(std::vector<std::int64_t>{s.out_height, s.out_width})
                            .mode(torch::kBilinear)
                            .align_corners(false));
  return x.mul(1.0 / 127.5).sub_(1.0).reshape({s.batch, s.views, 3, s.out_height, s.out_width}).contiguous();
}

}  // namespace

TEST_CASE("frames reference: without resize, x / 127.5 - 1 moved from HWC to CHW, per view") {
  // 1 row, 2 views, 1x2 pixels. View 0: (0, 255, 128), (1, 2, 3); view 1: (10, 20, 30), (40, 50, 60).
  const std::vector<std::uint8_t> f{0, 255, 128, 1, 2, 3, 10, 20, 30, 40, 50, 60};
  const auto s = spec_of(1, 2, 1, 2, 1, 2);
  CHECK(s.input_elements() == 12);
  CHECK(s.output_elements() == 12);
  const auto out = reference(f, s);
  // out[v][c][y][x]: view 0 channel 0 is (0, 1), channel 1 (255, 2), channel 2 (128, 3); then view 1.
  const double expected[] = {0, 1, 255, 2, 128, 3, 10, 40, 20, 50, 30, 60};
  for (std::size_t i = 0; i < out.size(); ++i) {
    CAPTURE(i);
    CHECK(out[i] == doctest::Approx(expected[i] / 127.5 - 1.0).epsilon(1e-6));
    CHECK(out[i] == normalised(expected[i]));
  }
  CHECK(out[0] == -1.0f);
  CHECK(out[2] == 1.0f);
}

TEST_CASE("frames reference: bilinear resize by hand (align_corners=false), and rounding ties to even") {
  // One 1x2 frame, values 0 and 2 in every channel, to 1x4: the source x of output x is
  // max(0, (x + 0.5) / 2 - 0.5) = 0, 0.25, 0.75, 1.25 (clamped to the last pixel), so 0, 0.5, 1.5, 2.
  const std::vector<std::uint8_t> f{0, 0, 0, 2, 2, 2};
  const auto up = reference(f, spec_of(1, 1, 1, 2, 1, 4));
  REQUIRE(up.size() == 12);
  for (int c = 0; c < 3; ++c) {
    CAPTURE(c);
    CHECK(up[c * 4 + 0] == doctest::Approx(-1.0));
    CHECK(up[c * 4 + 1] == doctest::Approx(0.5 / 127.5 - 1.0).epsilon(1e-7));
    CHECK(up[c * 4 + 2] == doctest::Approx(1.5 / 127.5 - 1.0).epsilon(1e-7));
    CHECK(up[c * 4 + 3] == doctest::Approx(2.0 / 127.5 - 1.0).epsilon(1e-7));
  }
  // Rounded to 8-bit levels first, ties to even: 0, 0, 2, 2.
  const auto rounded = reference(f, spec_of(1, 1, 1, 2, 1, 4, true));
  CHECK(rounded[1] == normalised(0));
  CHECK(rounded[2] == normalised(2));
  // 2x2 -> 1x1: source (0.5, 0.5), the mean of the four pixels; channel c holds 10c + (10, 20, 30, 40).
  const std::vector<std::uint8_t> g{10, 20, 30, 20, 30, 40, 30, 40, 50, 40, 50, 60};
  const auto down = reference(g, spec_of(1, 1, 2, 2, 1, 1));
  REQUIRE(down.size() == 3);
  CHECK(down[0] == doctest::Approx(25.0 / 127.5 - 1.0).epsilon(1e-7));
  CHECK(down[1] == doctest::Approx(35.0 / 127.5 - 1.0).epsilon(1e-7));
  CHECK(down[2] == doctest::Approx(45.0 / 127.5 - 1.0).epsilon(1e-7));
}

TEST_CASE("frames reference: a constant image stays constant through any resize") {
  for (const auto& [h, w, oh, ow] : std::vector<std::array<std::int64_t, 4>>{
           {64, 64, 96, 96}, {64, 64, 17, 33}, {7, 5, 64, 64}, {128, 96, 64, 64}}) {
    CAPTURE(h);
    CAPTURE(oh);
    const auto s = spec_of(2, 2, h, w, oh, ow);
    const std::vector<std::uint8_t> f(static_cast<std::size_t>(s.input_elements()), 77);
    const auto out = reference(f, s);
    CHECK(out.size() == static_cast<std::size_t>(2 * 2 * 3 * oh * ow));
    double worst = 0.0;
    for (float v : out) worst = std::max(worst, std::abs(v - (77.0 / 127.5 - 1.0)));
    CHECK(worst < 1e-6);
  }
}

TEST_CASE("frames reference: equals frames_to_model bit for bit, and torch's bilinear interpolate closely") {
  const auto same = spec_of(3, 2, 5, 7, 5, 7);
  const auto f = random_frames(same, 1);
  const auto out = reference(f, same);
  const auto t = torch_frames(f, same);
  REQUIRE(t.numel() == same.output_elements());
  CHECK(std::memcmp(out.data(), t.data_ptr<float>(), out.size() * sizeof(float)) == 0);

  for (const auto& s : {spec_of(2, 2, 5, 7, 12, 9), spec_of(2, 2, 16, 16, 6, 5),
                        spec_of(1, 2, 48, 48, 64, 64), spec_of(1, 2, 128, 128, 64, 64)}) {
    CAPTURE(s.in_height);
    CAPTURE(s.out_height);
    const auto g = random_frames(s, 2);
    const auto r = reference(g, s);
    const auto tr = torch_frames(g, s);
    REQUIRE(tr.numel() == s.output_elements());
    CHECK(max_abs_diff(r.data(), tr.data_ptr<float>(), r.size()) < 1e-5);
  }
}

TEST_CASE("frames reference: shapes, an empty batch, and specs it refuses") {
  const auto s = spec_of(4, 2, 64, 64, 32, 48);
  CHECK(s.resizes());
  CHECK(s.input_elements() == 4 * 2 * 64 * 64 * 3);
  CHECK(s.output_elements() == 4 * 2 * 3 * 32 * 48);
  CHECK_FALSE(spec_of(1, 2, 64, 64, 64, 64).resizes());
  CHECK(a2w::wm::kernels::frames_spec_problem(s).empty());

  std::vector<float> none;
  CHECK_NOTHROW(frames_to_model_reference(nullptr, none.data(), spec_of(0, 2, 64, 64, 64, 64)));
  std::vector<std::uint8_t> f(12);
  std::vector<float> out(12);
  CHECK_THROWS_AS(frames_to_model_reference(f.data(), out.data(), spec_of(1, 1, 2, 2, 0, 2)),
                  a2w::InvalidArgument);
  CHECK_THROWS_AS(frames_to_model_reference(f.data(), out.data(), spec_of(-1, 1, 2, 2, 2, 2)),
                  a2w::InvalidArgument);
  CHECK_THROWS_WITH_AS(frames_to_model_reference(f.data(), out.data(), spec_of(1, 1, 0, 2, 2, 2)),
                       doctest::Contains("frame sizes >= 1"), a2w::InvalidArgument);
}

#ifdef A2W_CUDA
// Compiled only into CUDA builds (-DA2W_CUDA=ON); there, skipped and counted as skipped when no GPU is seen.
TEST_CASE("frames kernel: CUDA equals the CPU reference" *
          doctest::skip(a2w::wm::kernels::cuda_device_count() == 0)) {
  namespace k = a2w::wm::kernels;
  struct Case {
    std::string name;
    FramesSpec spec;
    double tolerance;
  };
  const std::vector<Case> cases{
      {"b256_v2_64_same", spec_of(256, 2, 64, 64, 64, 64), 0.0},
      {"b256_v2_128_to_64", spec_of(256, 2, 128, 128, 64, 64), 1e-6},
      {"b64_v2_48_to_64", spec_of(64, 2, 48, 48, 64, 64), 1e-6},
      {"b64_v2_48_to_64_rounded", spec_of(64, 2, 48, 48, 64, 64, true), 0.0},
      {"b3_v2_odd_sizes", spec_of(3, 2, 37, 53, 29, 71), 1e-6},
  };
  const auto num = [](double v) {
    std::ostringstream o;
    o << v;
    return o.str();
  };
  std::string report = "{\"device_count\": " + std::to_string(k::cuda_device_count()) + ", \"cases\": [";
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const auto& c = cases[i];
    CAPTURE(c.name);
    const auto f = random_frames(c.spec, 10 + i);
    const auto want = reference(f, c.spec);
    std::vector<float> got(want.size(), 99.0f);
    const int err = k::frames_to_model_cuda_from_host(f.data(), got.data(), c.spec);
    INFO(std::string(k::cuda_error_text(err)));
    REQUIRE(err == 0);
    const double diff = max_abs_diff(want.data(), got.data(), want.size());
    CHECK(diff <= c.tolerance);
    const double ms = k::time_frames_to_model_cuda(c.spec, 50);
    CHECK(ms > 0.0);
    report += std::string(i ? ", " : "") + "{\"name\": \"" + c.name +
              "\", \"values\": " + std::to_string(want.size()) + ", \"max_abs_diff\": " + num(diff) +
              ", \"kernel_ms\": " + num(ms) + "}";
  }
  // LibTorch's own conversion of the same batch on the GPU (movedim is a view; to, mul and sub are three
  // kernels), over 50 calls between two synchronisations, so the report says whether the fused kernel pays.
  auto host = random_frames(spec_of(256, 2, 64, 64, 64, 64), 3);
  const auto frames =
      torch::from_blob(host.data(), {256, 2, 64, 64, 3}, torch::kUInt8).to(torch::Device(torch::kCUDA));
  auto x = a2w::wm::frames_to_model(frames);
  torch::cuda::synchronize();
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 50; ++i) x = a2w::wm::frames_to_model(frames);
  torch::cuda::synchronize();
  const double torch_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() / 50.0;
  report += "], \"torch_frames_to_model_ms_b256_v2_64\": " + num(torch_ms) + "}\n";
  if (const char* path = std::getenv("A2W_KERNEL_REPORT"); path != nullptr && *path != '\0') {
    std::ofstream out(path);
    out << report;
    CHECK(out.good());
  }
}
#endif
