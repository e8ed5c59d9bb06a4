// WorldModelConfig presets and (de)serialisation; EDM preconditioning and the Karras schedule against values
// computed by hand.

#include <doctest/doctest.h>

#include <cmath>

#include "a2w/env/error.h"
#include "a2w/wm/config.h"
#include "a2w/wm/edm.h"

using namespace a2w::wm;

TEST_CASE("config presets validate and round-trip through a Dict") {
  for (const char* name : {"tiny", "cpu", "gpu"}) {
    auto c = WorldModelConfig::preset(name);
    CHECK_NOTHROW(c.validate());
    c.tasks = {"a2w/LiftCube-v0", "a2w/OpenDrawer-v0"};
    const auto back = WorldModelConfig::from_dict(c.to_dict());
    CHECK(back.to_dict().size() == c.to_dict().size());
    CHECK(back.width == c.width);
    CHECK(back.tasks == c.tasks);
    CHECK(back.sampler == c.sampler);
    CHECK(back.sigma_data == c.sigma_data);
  }
  const auto cpu = WorldModelConfig::preset("cpu");
  CHECK(cpu.width == 256);
  CHECK(cpu.depth == 6);
  CHECK(cpu.patch == 8);
  CHECK(cpu.image_size == 64);
  CHECK(cpu.context_channels() == 9);
  CHECK(cpu.tokens_per_view() == 64);
  CHECK(WorldModelConfig::preset("gpu").width == 4 * cpu.width);
  CHECK_THROWS_AS(WorldModelConfig::preset("huge"), a2w::InvalidArgument);
}

TEST_CASE("config errors name the field") {
  auto c = WorldModelConfig::preset("cpu");
  c.patch = 7;
  CHECK_THROWS_WITH_AS(c.validate(), doctest::Contains("patch 7 must divide image_size 64"),
                       a2w::InvalidArgument);
  c = WorldModelConfig::preset("cpu");
  c.views = 1;
  CHECK_THROWS_WITH_AS(c.validate(), doctest::Contains("view_keys"), a2w::InvalidArgument);
  a2w::env::Dict d{{"widht", 3}};
  CHECK_THROWS_WITH_AS(WorldModelConfig::from_dict(d), doctest::Contains("unknown field 'widht'"),
                       a2w::InvalidArgument);
  d = {{"width", "wide"}};
  CHECK_THROWS_WITH_AS(WorldModelConfig::from_dict(d), doctest::Contains("width: expected an integer"),
                       a2w::InvalidArgument);
}

TEST_CASE("EDM preconditioning coefficients match hand-computed values") {
  // sigma = 1, sigma_data = 0.5: sigma^2 + sd^2 = 1.25.
  auto s = edm_scaling(1.0, 0.5);
  CHECK(s.c_skip == doctest::Approx(0.25 / 1.25).epsilon(1e-12));
  CHECK(s.c_out == doctest::Approx(0.5 / std::sqrt(1.25)).epsilon(1e-12));  // 0.4472136
  CHECK(s.c_in == doctest::Approx(0.894427191).epsilon(1e-9));
  CHECK(s.c_noise == doctest::Approx(0.0));
  // sigma = sigma_data = 0.5: c_skip = 1/2, c_out = 0.25 / sqrt(0.5), c_in = sqrt(2), c_noise = ln(0.5) / 4.
  s = edm_scaling(0.5, 0.5);
  CHECK(s.c_skip == doctest::Approx(0.5));
  CHECK(s.c_out == doctest::Approx(0.353553391).epsilon(1e-9));
  CHECK(s.c_in == doctest::Approx(1.414213562).epsilon(1e-9));
  CHECK(s.c_noise == doctest::Approx(-0.173286795).epsilon(1e-9));
  // Large sigma: the denoiser ignores its input (c_skip -> 0) and c_out -> sigma_data.
  s = edm_scaling(1000.0, 0.5);
  CHECK(s.c_skip < 1e-6);
  CHECK(s.c_out == doctest::Approx(0.5).epsilon(1e-6));
  CHECK_THROWS_AS(edm_scaling(0.0, 0.5), a2w::InvalidArgument);

  // The per-row tensor version agrees with the scalar one.
  const auto sig = torch::tensor({0.002f, 0.5f, 1.0f, 20.0f});
  const auto t = edm_scaling(sig, 0.5);
  for (int i = 0; i < 4; ++i) {
    const auto e = edm_scaling(static_cast<double>(sig[i].item<float>()), 0.5);
    CHECK(t.c_skip[i].item<float>() == doctest::Approx(e.c_skip).epsilon(1e-5));
    CHECK(t.c_out[i].item<float>() == doctest::Approx(e.c_out).epsilon(1e-5));
    CHECK(t.c_in[i].item<float>() == doctest::Approx(e.c_in).epsilon(1e-5));
    CHECK(t.c_noise[i].item<float>() == doctest::Approx(e.c_noise).epsilon(1e-5));
  }
}

TEST_CASE("Karras schedule") {
  const auto s = karras_sigmas(3, 0.002, 5.0, 7.0);
  REQUIRE(s.size() == 4);
  CHECK(s[0] == doctest::Approx(5.0).epsilon(1e-12));
  // Midpoint in sigma^(1/7): ((5^(1/7) + 0.002^(1/7)) / 2)^7 = 0.28318...
  CHECK(s[1] == doctest::Approx(std::pow((std::pow(5.0, 1 / 7.0) + std::pow(0.002, 1 / 7.0)) / 2, 7.0)));
  CHECK(s[1] == doctest::Approx(0.2832).epsilon(1e-3));
  CHECK(s[2] == doctest::Approx(0.002));
  CHECK(s[3] == 0.0);
  const auto one = karras_sigmas(1, 0.002, 5.0, 7.0);
  REQUIRE(one.size() == 2);
  CHECK(one[0] == doctest::Approx(5.0).epsilon(1e-12));
  CHECK(one[1] == 0.0);
  CHECK_THROWS_AS(karras_sigmas(0, 0.002, 5.0, 7.0), a2w::InvalidArgument);
}
