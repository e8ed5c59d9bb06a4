// Training: a one-batch overfit (the loss falls at least tenfold), self-forcing, and train_world_model end to
// end: checkpoints, a resumed run equal to an uninterrupted one, adaptation to a new task.

#include <ATen/CPUGeneratorImpl.h>
#include <doctest/doctest.h>

#include "a2w/env/error.h"
#include "a2w/wm/a2world.h"
#include "a2w/wm/adamw.h"
#include "a2w/wm/checkpoint.h"
#include "a2w/wm/precision.h"
#include "a2w/wm/train.h"
#include "a2w/wm/window_loader.h"
#include "a2w/wm/world_model_loss.h"
#include "wm_test_util.h"

using namespace a2w::wm;

namespace {

// Four windows of one 10-step episode, at t = 0 (no previous action), 1, 3 and 8.
TrainBatch self_forcing_batch(const wmtest::TempDir& dir, const WorldModelConfig& c) {
  wmtest::write_dataset(dir.str("a.hdf5"), "a2w/LiftCube-v0", 1, 10, 16, 0);
  EpisodeIndexOptions o;
  o.paths = {dir.str()};
  WindowLoader loader(std::make_shared<const EpisodeIndex>(o), c, 4, 0);
  return loader.windows({{0, 0}, {0, 1}, {0, 3}, {0, 8}});
}

}  // namespace

TEST_CASE("one-batch overfit: the loss falls at least tenfold") {
  wmtest::TempDir dir("overfit");
  wmtest::write_dataset(dir.str("a.hdf5"), "a2w/LiftCube-v0", 2, 10, 16, 0);
  EpisodeIndexOptions o;
  o.paths = {dir.str()};
  auto index = std::make_shared<const EpisodeIndex>(o);
  auto c = wmtest::tiny();
  c.tasks = {"a2w/LiftCube-v0"};
  WindowLoader loader(index, c, 8, 0);
  const auto batch = loader.batch(0);
  std::vector<double> count, sum, sum_sq;
  index->state_moments(count, sum, sum_sq);
  const auto norm = StateNormalizer::from_moments(count, sum, sum_sq);

  torch::manual_seed(0);
  A2WorldNet net(c);
  AdamW opt(*net, {.weight_decay = 0});
  double first = 0, last = 0;
  for (int step = 0; step < 150; ++step) {
    // The same noise every step: one fixed regression problem to memorise.
    auto gen = at::detail::createCPUGenerator(7);
    opt.zero_grad();
    const auto terms = world_model_loss(net, batch, norm, gen, false);
    terms.total.backward();
    opt.step(2e-3);
    if (step == 0) first = terms.total.item<double>();
    last = terms.total.item<double>();
  }
  MESSAGE("overfit loss " << first << " -> " << last);
  CHECK(last < first / 10);
}

TEST_CASE("self-forcing replaces the last context frame of some rows, never without a previous action") {
  wmtest::TempDir dir("selfforce");
  auto c = wmtest::tiny();
  c.self_forcing_prob = 1.0;
  const auto batch = self_forcing_batch(dir, c);
  A2WorldNet net(c);
  auto gen = at::detail::createCPUGenerator(1);
  CHECK(world_model_loss(net, batch, StateNormalizer::identity(32), gen, true).self_forced == 3);
  gen = at::detail::createCPUGenerator(1);
  CHECK(world_model_loss(net, batch, StateNormalizer::identity(32), gen, false).self_forced == 0);
}

TEST_CASE("state self-forcing: self-forced rows start from their own predicted state") {
  wmtest::TempDir dir("statesf");
  auto c = wmtest::tiny();
  c.self_forcing_prob = 1.0;
  const auto batch = self_forcing_batch(dir, c);
  auto state_loss = [&](bool state_sf, bool self_forcing) {
    auto cc = c;
    cc.state_self_forcing = state_sf;
    torch::manual_seed(7);
    A2WorldNet net(cc);
    torch::NoGradGuard no_grad;
    for (auto& p : net->parameters()) p.add_(torch::randn_like(p) * 0.05);  // a head that predicts changes
    auto gen = at::detail::createCPUGenerator(1);
    return world_model_loss(net, batch, StateNormalizer::identity(32), gen, self_forcing).state;
  };
  const double plain = state_loss(false, true), own = state_loss(true, true);
  CHECK(std::isfinite(own));
  CHECK(own != plain);                                         // three rows took their own state
  CHECK(state_loss(true, false) == state_loss(false, false));  // nothing self-forced: no difference
}

TEST_CASE("bfloat16 autocast with self-forcing: every weight gets nearly its float32 gradient") {
  wmtest::TempDir dir("bf16grad");
  wmtest::write_dataset(dir.str("a.hdf5"), "a2w/LiftCube-v0", 1, 10, 16, 0);
  EpisodeIndexOptions o;
  o.paths = {dir.str()};
  auto index = std::make_shared<const EpisodeIndex>(o);
  auto c = wmtest::tiny();
  c.self_forcing_prob = 1.0;
  WindowLoader loader(index, c, 4, 0);
  const auto batch = loader.windows({{0, 1}, {0, 3}, {0, 5}, {0, 8}});
  torch::manual_seed(2);
  A2WorldNet net(c);
  {
    torch::NoGradGuard no_grad;  // leave the zero initialisation, so that gradients reach every weight
    for (auto& p : net->parameters()) p.add_(torch::randn_like(p) * 0.05);
  }
  auto grads = [&](Precision precision) {
    for (auto& p : net->parameters()) p.mutable_grad() = torch::Tensor();
    auto gen = at::detail::createCPUGenerator(1);
    LossTerms terms;
    {
      PrecisionGuard guard(precision, torch::kCPU);
      terms = world_model_loss(net, batch, StateNormalizer::identity(32), gen, true);
    }
    CHECK(terms.self_forced == 4);
    terms.total.backward();
    std::map<std::string, torch::Tensor> g;
    for (const auto& p : net->named_parameters())
      g[p.key()] = p.value().grad().defined() ? p.value().grad().clone() : torch::Tensor();
    return g;
  };
  const auto f32 = grads(Precision::kFloat32), bf16 = grads(Precision::kBFloat16);
  for (const auto& [name, g] : f32) {
    CAPTURE(name);
    REQUIRE(g.defined());
    REQUIRE(bf16.at(name).defined());
    const double cos = torch::cosine_similarity(g.flatten(), bf16.at(name).flatten(), 0).item<double>();
    if (g.norm().item<double>() > 1e-6) CHECK(cos > 0.98);
  }
}

TEST_CASE("train_world_model: checkpoints, resume equals an uninterrupted run, adaptation") {
  wmtest::TempDir dir("train");
  std::filesystem::create_directories(dir.path / "data");
  wmtest::write_dataset(dir.str("data/lift.hdf5"), "a2w/LiftCube-v0", 3, 12, 16, 0);
  wmtest::write_dataset(dir.str("data/drawer.hdf5"), "a2w/OpenDrawer-v0", 3, 12, 16, 3);

  TrainJob job;
  job.data = {dir.str("data")};
  job.exclude_tasks = {"a2w/OpenDrawer-v0"};
  job.config = "tiny";
  job.config_overrides = {{"self_forcing_warmup", 3}};
  job.steps = 8;
  job.batch_size = 4;
  job.lr = 1e-3;
  job.seed = 5;
  job.threads = 1;
  job.log_every = 2;
  job.progress = false;
  job.out = dir.str("straight.a2wm");
  const auto straight = train_world_model(job);
  CHECK(straight.mode == "pretrain");
  CHECK(straight.tasks == std::vector<std::string>{"a2w/LiftCube-v0"});
  CHECK(straight.episodes == 3);
  CHECK(straight.curve.size() == 4);
  CHECK(straight.curve.back().step == 8);
  CHECK(std::isfinite(straight.loss));
  CHECK(straight.to_text().find("a2w wm pretrain") != std::string::npos);
  CHECK(a2w::env::get(straight.to_dict(), "steps").as_int() == 8);

  // The same run in two segments: interrupted after 5 steps, resumed to 8.
  job.out = dir.str("resumed.a2wm");
  job.stop_at_step = 5;
  const auto first = train_world_model(job);
  CHECK(first.steps == 5);
  CHECK_FALSE(first.finished);
  job.stop_at_step = 0;
  job.resume = true;
  const auto resumed = train_world_model(job);
  CHECK(resumed.finished);
  CHECK(resumed.start_step == 5);
  CHECK(resumed.curve.size() == 5);  // 2, 4, 5 from the first segment, then 6, 8
  const auto a = read_checkpoint(dir.str("straight.a2wm")), b = read_checkpoint(dir.str("resumed.a2wm"));
  CHECK(a2w::env::get(b.meta, "step").as_int() == 8);
  REQUIRE(a.tensors.size() == b.tensors.size());
  for (const auto& [name, t] : a.tensors) {
    CAPTURE(name);
    CHECK(torch::equal(t, b.at(name)));
  }

  // Adapt to the held-out task with a fraction of its episodes: the task gets a new embedding row.
  TrainJob adapt;
  adapt.from = dir.str("straight.a2wm");
  adapt.task = "a2w/OpenDrawer-v0";
  adapt.data = {dir.str("data")};
  adapt.fraction = 0.5;
  adapt.steps = 3;
  adapt.batch_size = 4;
  adapt.lr = 1e-4;
  adapt.threads = 1;
  adapt.progress = false;
  adapt.out = dir.str("adapted.a2wm");
  const auto r = train_world_model(adapt);
  CHECK(r.mode == "adapt");
  CHECK(r.tasks == std::vector<std::string>{"a2w/LiftCube-v0", "a2w/OpenDrawer-v0"});
  CHECK(r.data_tasks == std::vector<std::string>{"a2w/OpenDrawer-v0"});
  CHECK(r.episodes == 2);  // round(0.5 * 3)
  const auto model = A2World::load(adapt.out);
  CHECK(model->config().tasks.size() == 2);
  // The pretrained state statistics are kept.
  CHECK(torch::equal(read_checkpoint(adapt.out).at("norm/state_mean"), a.at("norm/state_mean")));

  TrainJob bad = adapt;
  bad.task = "";
  CHECK_THROWS_WITH_AS(train_world_model(bad), doctest::Contains("needs the target task id"),
                       a2w::InvalidArgument);
  bad = job;
  bad.resume = false;
  bad.config_overrides = {{"patch", 5}};
  CHECK_THROWS_WITH_AS(train_world_model(bad), doctest::Contains("patch 5 must divide"),
                       a2w::InvalidArgument);
}
