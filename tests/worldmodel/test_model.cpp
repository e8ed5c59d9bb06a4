// A2WorldNet and A2World::predict on the tiny config: shapes for one and two views, the sampler's determinism
// for a fixed seed, and per-row seeds independent of the batch a row is stepped in.

#include <ATen/autocast_mode.h>
#include <doctest/doctest.h>
#include <torch/version.h>

#include "a2w/env/error.h"
#include "a2w/wm/a2world.h"
#include "a2w/wm/a2world_net.h"
#include "a2w/wm/frames.h"
#include "a2w/wm/precision.h"
#include "wm_test_util.h"

using namespace a2w::wm;

namespace {

WorldModelInput random_input(const WorldModelConfig& c, std::int64_t b, std::uint64_t seed = 1) {
  torch::manual_seed(seed);
  WorldModelInput in;
  const std::int64_t s = c.image_size;
  in.context = torch::randint(0, 256, {b, c.views, c.context_frames, s, s, 3}).to(torch::kUInt8);
  in.anchor = torch::randint(0, 256, {b, c.views, s, s, 3}).to(torch::kUInt8);
  in.actions = torch::rand({b, c.action_horizon, c.action_dim}) * 2 - 1;
  in.state = torch::randn({b, c.state_dim});
  in.state_mask = torch::ones({b, c.state_dim});
  return in;
}

// A model whose output depends on its inputs: the zero-initialised output layers get random weights.
std::shared_ptr<A2World> random_model(const WorldModelConfig& c) {
  torch::manual_seed(3);
  auto wm = std::make_shared<A2World>(c);
  torch::NoGradGuard no_grad;
  for (auto& p : wm->net()->parameters()) p.add_(torch::randn_like(p) * 0.05);
  return wm;
}

WorldModelInput rows(const WorldModelInput& in, std::vector<std::int64_t> idx,
                     std::vector<std::uint64_t> seeds) {
  const auto i = torch::tensor(idx, torch::kInt64);
  WorldModelInput out;
  out.context = in.context.index_select(0, i);
  out.anchor = in.anchor.index_select(0, i);
  out.actions = in.actions.index_select(0, i);
  out.state = in.state.index_select(0, i);
  out.state_mask = in.state_mask.index_select(0, i);
  out.seeds = std::move(seeds);
  return out;
}

}  // namespace

TEST_CASE("patchify and unpatchify are inverse") {
  const auto x = torch::randn({2, 2, 3, 16, 16});
  const auto t = patchify(x, 4);
  CHECK(t.sizes() == torch::IntArrayRef({2, 32, 48}));
  CHECK(torch::equal(unpatchify(t, 2, 16, 4), x));
  // Token 0 of view 1 is the top-left square of view 1's frame.
  CHECK(torch::equal(t[0][16].view({3, 4, 4}), x[0][1].narrow(1, 0, 4).narrow(2, 0, 4)));
}

TEST_CASE("frames convert to model space and back exactly") {
  const auto u8 = torch::randint(0, 256, {2, 5, 5, 3}).to(torch::kUInt8);
  const auto x = frames_to_model(u8);
  CHECK(x.sizes() == torch::IntArrayRef({2, 3, 5, 5}));
  CHECK(x.min().item<float>() >= -1.0f);
  CHECK(x.max().item<float>() <= 1.0f);
  CHECK(torch::equal(frames_to_uint8(x), u8));
  // Out of range: clamped to the extreme levels.
  const auto far = frames_to_uint8(torch::tensor({-7.0f, 7.0f, 0.0f}).view({1, 3, 1, 1}));
  CHECK(far[0][0][0][0].item<int>() == 0);
  CHECK(far[0][0][0][1].item<int>() == 255);
  CHECK(far[0][0][0][2].item<int>() == 128);  // 127.5 rounds half to even
}

TEST_CASE("network output shapes for one and two views") {
  for (int views : {1, 2}) {
    CAPTURE(views);
    auto c = wmtest::tiny(views);
    c.tasks = {"a2w/LiftCube-v0"};
    A2WorldNet net(c);
    const std::int64_t b = 3, s = c.image_size;
    const auto tokens = net->embed_context(torch::zeros({b, views, c.context_frames, 3, s, s}),
                                           torch::zeros({b, views, 3, s, s}));
    CHECK(tokens.sizes() == torch::IntArrayRef({b, views * c.tokens_per_view(), c.width}));
    const auto z = torch::randn({b, c.state_dim});
    const auto mask = torch::ones({b, c.state_dim});
    const auto cond =
        net->embed_condition(torch::zeros({b}), torch::zeros({b, 1, 7}), torch::tensor({-1, 0, 0}), z, mask);
    CHECK(cond.vector.sizes() == torch::IntArrayRef({b, c.width}));
    const auto out = net->forward(torch::randn({b, views, 3, s, s}), tokens, cond, torch::zeros({b}), true);
    // A fresh change head: no change.
    CHECK(out.state.abs().max().item<float>() == 0.0f);
    CHECK(out.f.sizes() == torch::IntArrayRef({b, views, 3, s, s}));
    CHECK(out.state.sizes() == torch::IntArrayRef({b, c.state_dim}));
    CHECK(out.success_logit.sizes() == torch::IntArrayRef({b}));
    CHECK(out.reward.sizes() == torch::IntArrayRef({b}));
    // adaLN-Zero: a fresh network outputs F = 0, so the denoiser starts as c_skip x.
    CHECK(out.f.abs().max().item<float>() == 0.0f);

    A2World wm(c);
    auto in = random_input(c, b);
    in.task = torch::tensor({0, -1, 0});
    const auto o = wm.predict(in);
    CHECK(o.frames.sizes() == torch::IntArrayRef({b, views, s, s, 3}));
    CHECK((o.frames.scalar_type() == torch::kUInt8));
    CHECK(o.state.sizes() == torch::IntArrayRef({b, c.state_dim}));
    CHECK(o.success.sizes() == torch::IntArrayRef({b}));
    CHECK(o.reward.sizes() == torch::IntArrayRef({b}));
    CHECK(o.success.min().item<float>() >= 0.0f);
    CHECK(o.success.max().item<float>() <= 1.0f);
  }
}

TEST_CASE("predict checks its inputs") {
  const auto c = wmtest::tiny();
  A2World wm(c);
  auto in = random_input(c, 2);
  in.anchor = in.anchor.narrow(2, 0, 8);
  CHECK_THROWS_WITH_AS(
      wm.predict(in),
      doctest::Contains("expected input.anchor Byte [2, 2, 16, 16, 3], got Byte [2, 2, 8, 16, 3]"),
      a2w::InvalidArgument);
  in = random_input(c, 2);
  in.task = torch::tensor({0, 0});  // the model knows no task
  CHECK_THROWS_WITH_AS(wm.predict(in), doctest::Contains("task"), a2w::InvalidArgument);
  in = random_input(c, 2);
  in.seeds = {1, 2, 3};
  CHECK_THROWS_WITH_AS(wm.predict(in), doctest::Contains("expected 2 seeds"), a2w::InvalidArgument);
}

TEST_CASE("sampling is deterministic for fixed seeds and independent of batch composition") {
  for (const char* sampler : {"euler", "heun"}) {
    CAPTURE(sampler);
    auto c = wmtest::tiny();
    auto wm = random_model(c);
    wm->set_sampler(3, sampler);
    const auto in = random_input(c, 3);
    const auto all = rows(in, {0, 1, 2}, {11, 7, 5});
    const auto a = wm->predict(all);
    const auto b = wm->predict(all);
    CHECK(torch::equal(a.frames, b.frames));
    CHECK(torch::equal(a.state, b.state));
    // Another seed gives another sample.
    const auto other = wm->predict(rows(in, {0, 1, 2}, {12, 7, 5}));
    CHECK_FALSE(torch::equal(other.frames[0], a.frames[0]));
    CHECK(torch::equal(other.frames[1], a.frames[1]));
    // Row 1 alone, or first in another batch, with its seed 7: the same frame (up to one 8-bit level where
    // BLAS blocks a different batch size differently).
    for (const auto& alone : {wm->predict(rows(in, {1}, {7})), wm->predict(rows(in, {1, 2}, {7, 5}))}) {
      const auto d = (alone.frames[0].to(torch::kInt32) - a.frames[1].to(torch::kInt32)).abs();
      CHECK(d.max().item<int>() <= 1);
      CHECK(d.to(torch::kFloat32).mean().item<float>() < 0.01f);
      CHECK(torch::allclose(alone.state[0], a.state[1], 1e-4, 1e-4));
    }
  }
}

TEST_CASE("seeded noise depends on the row's seed only") {
  const auto a = seeded_normal({1, 2, 3}, 0, {4, 5}, torch::kCPU);
  const auto b = seeded_normal({2}, 0, {4, 5}, torch::kCPU);
  CHECK(a.sizes() == torch::IntArrayRef({3, 4, 5}));
  CHECK(torch::equal(a[1], b[0]));
  CHECK_FALSE(torch::equal(a[0], a[1]));
  CHECK_FALSE(torch::equal(seeded_normal({2}, 1, {4, 5}, torch::kCPU)[0], b[0]));  // another stream
  CHECK(a.std().item<float>() == doctest::Approx(1.0).epsilon(0.35));
}

TEST_CASE("bfloat16 matrix products give nearly the float32 frames and states") {
  const auto c = wmtest::tiny();
  auto wm = random_model(c);
  const auto in = rows(random_input(c, 4), {0, 1, 2, 3}, {1, 2, 3, 4});
  wm->set_precision(Precision::kFloat32);
  const auto f32 = wm->predict(in);
  wm->set_precision(Precision::kBFloat16);
  const auto bf16 = wm->predict(in);
  CHECK((bf16.state.scalar_type() == torch::kFloat32));
  CHECK((bf16.success.scalar_type() == torch::kFloat32));
  const auto d = (f32.frames.to(torch::kFloat32) - bf16.frames.to(torch::kFloat32)).abs();
  MESSAGE("bfloat16 vs float32: mean " << d.mean().item<float>() << ", max " << d.max().item<float>()
                                       << " levels");
  CHECK(d.mean().item<float>() < 1.0f);
  CHECK(torch::allclose(f32.state, bf16.state, 0.05, 0.05));
  // The guard restores autocast's state. (LibTorch 2.4 renamed the query and deprecated the old name.)
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
  const auto cpu_autocast = [] { return at::autocast::is_autocast_enabled(at::kCPU); };
#else
  const auto cpu_autocast = [] { return at::autocast::is_cpu_enabled(); };
#endif
  CHECK_FALSE(cpu_autocast());
  {
    PrecisionGuard g(Precision::kBFloat16, torch::kCPU);
    CHECK(cpu_autocast());
  }
  CHECK_FALSE(cpu_autocast());
  CHECK((parse_precision("float32", torch::kCPU) == Precision::kFloat32));
  CHECK((parse_precision("auto", torch::Device("cuda")) == Precision::kBFloat16));
  CHECK_THROWS_WITH_AS(parse_precision("fp8", torch::kCPU),
                       doctest::Contains("expected auto, float32 or bfloat16"), a2w::InvalidArgument);
}

TEST_CASE("state input: required when the config asks for it, absent in checkpoints that predate it") {
  auto c = wmtest::tiny(2);
  A2World wm(c);
  auto in = random_input(c, 2);
  in.state = torch::Tensor();
  CHECK_THROWS_WITH_AS(wm.predict(in), doctest::Contains("expected input.state"), a2w::InvalidArgument);
  in.state = torch::zeros({2, 5});
  CHECK_THROWS_WITH_AS(wm.predict(in), doctest::Contains("state"), a2w::InvalidArgument);

  // A config written before the field existed reads as the absolute-state model, which needs no state.
  auto d = c.to_dict();
  d.erase("state_input");
  const auto legacy = WorldModelConfig::from_dict(d);
  CHECK_FALSE(legacy.state_input);
  A2World old(legacy);
  auto plain = random_input(legacy, 2);
  plain.state = plain.state_mask = torch::Tensor();
  CHECK(old.predict(plain).state.sizes() == torch::IntArrayRef({2, legacy.state_dim}));
  CHECK(WorldModelConfig::from_dict(c.to_dict()).state_input);

  // A fresh model imagines no change of state.
  A2World fresh(c);
  const auto same = random_input(c, 2);
  CHECK(torch::allclose(fresh.predict(same).state, same.state, 1e-5, 1e-5));
}

TEST_CASE("state input: entries outside the mask pass through unchanged") {
  auto c = wmtest::tiny(2);
  auto wm = random_model(c);
  auto in = random_input(c, 2);
  in.state_mask = torch::zeros({2, c.state_dim});
  in.state_mask.narrow(1, 0, 15).fill_(1);
  const auto out = wm->predict(in);
  CHECK(torch::equal(out.state.narrow(1, 15, c.state_dim - 15), in.state.narrow(1, 15, c.state_dim - 15)));
  CHECK_FALSE(torch::allclose(out.state.narrow(1, 0, 15), in.state.narrow(1, 0, 15)));
}
