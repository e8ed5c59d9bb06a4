// evaluate_fidelity (`a2w wm eval`) on real recorded episodes of a physics task, with stand-in models whose
// scores are known: an oracle that returns the recorded frames and states, and a model that copies its last
// context frame (which must score exactly as the copy-last baseline). Also SSIM's fixed points.

#include <doctest/doctest.h>

#include <filesystem>

#include "a2w/env/error.h"
#include "a2w/env/record_episode.h"
#include "a2w/env/registry.h"
#include "a2w/tasks/expert.h"
#include "a2w/tasks/task_env.h"
#include "a2w/tasks/tasks.h"
#include "a2w/wm/episode_index.h"
#include "a2w/wm/fidelity_eval.h"
#include "a2w/wm/image_metrics.h"
#include "fake_world_model.h"
#include "wm_test_util.h"

using namespace a2w::wm;

namespace {

// Records LiftCube episodes at 16x16: episode 0 by the expert (a success), episode 1 by a fixed push away
// from the cube (up, gripper open) until the horizon (a failure).
void record_lift(const std::string& folder) {
  a2w::tasks::register_tasks();
  const a2w::env::Dict options{{"image_size", std::int64_t{16}}, {"horizon", std::int64_t{40}}};
  a2w::env::RecordEpisodeOptions ro;
  ro.folder = folder;
  ro.env_id = "a2w/LiftCube-v0";
  ro.env_options = options;
  ro.overwrite = true;
  a2w::env::RecordEpisode env(a2w::make("a2w/LiftCube-v0", options), ro);
  auto& task = dynamic_cast<a2w::tasks::TaskEnv&>(env.unwrapped());
  for (int e = 0; e < 2; ++e) {
    env.reset(static_cast<std::uint64_t>(10 + e));
    a2w::tasks::ExpertState expert;
    a2w::env::Rng rng(1);
    for (int t = 0; t < 40; ++t) {
      a2w::env::Array a;
      if (e == 0) {
        a = a2w::tasks::expert_action(task, expert, rng, 0.0);
      } else {
        a = a2w::env::Array(a2w::env::DType::kFloat32, {7});
        const float away[7] = {0.0f, 0.0f, 1.0f, 0.0f, 0.0f, 0.0f, -1.0f};
        std::copy(away, away + 7, a.data<float>());
      }
      const auto r = env.step(a);
      if (r.terminated || r.truncated) break;
    }
  }
  env.close();
}

// Returns, row by row, the recorded frame and state of the episode the row replays (rows in the order of the
// run, one task, one batch): a perfect world model.
class OracleModel final : public WorldModel {
 public:
  OracleModel(WorldModelConfig c, const EpisodeIndex& index) : config_(std::move(c)) {
    for (const auto& ep : index.episodes()) {
      const auto& r = index.reader(ep.file);
      std::vector<torch::Tensor> views;
      for (const auto& key : config_.view_keys) {
        const auto a = r.read(ep.demo, "obs/" + key);
        views.push_back(
            torch::from_blob(const_cast<void*>(a.raw()), {ep.length, 16, 16, 3}, torch::kUInt8).clone());
      }
      frames.push_back(torch::stack(views, 1));
      states.push_back(
          torch::from_blob(const_cast<float*>(ep.state.data<float>()), {ep.length, 32}, torch::kFloat32)
              .clone());
    }
  }
  const WorldModelConfig& config() const override { return config_; }
  torch::Device device() const override { return torch::kCPU; }
  WorldModelOutput predict(const WorldModelInput& in) override {
    const std::int64_t b = in.context.size(0), n = ++calls;  // frame n follows action n - 1
    WorldModelOutput out;
    std::vector<torch::Tensor> f, s;
    for (std::int64_t r = 0; r < b; ++r) {
      const std::int64_t t = std::min<std::int64_t>(n, frames[r].size(0) - 1);
      f.push_back(frames[r][t]);
      s.push_back(states[r][std::min<std::int64_t>(n - 1, states[r].size(0) - 1)]);
    }
    out.frames = torch::stack(f, 0);
    out.state = torch::stack(s, 0);
    out.success = torch::zeros({b});
    out.reward = torch::zeros({b});
    return out;
  }
  std::vector<torch::Tensor> frames, states;
  std::int64_t calls = 0;

 private:
  WorldModelConfig config_;
};

// Copies its last context frame; its states are zeros.
class CopyLastModel final : public WorldModel {
 public:
  explicit CopyLastModel(WorldModelConfig c) : config_(std::move(c)) {}
  const WorldModelConfig& config() const override { return config_; }
  torch::Device device() const override { return torch::kCPU; }
  WorldModelOutput predict(const WorldModelInput& in) override {
    const std::int64_t b = in.context.size(0);
    return {in.context.select(2, config_.context_frames - 1).clone(), torch::zeros({b, 32}),
            torch::zeros({b}), torch::zeros({b})};
  }

 private:
  WorldModelConfig config_;
};

}  // namespace

TEST_CASE("ssim: 1 for identical images, lower for noise, symmetric, shape errors") {
  torch::manual_seed(0);
  const auto a = torch::randint(0, 256, {2, 16, 16, 3}).to(torch::kUInt8);
  const auto b = torch::randint(0, 256, {2, 16, 16, 3}).to(torch::kUInt8);
  const auto same = ssim(a, a);
  CHECK(same.size(0) == 2);
  CHECK(same[0].item<double>() == doctest::Approx(1.0));
  CHECK(ssim(a, b)[0].item<double>() < 0.2);
  CHECK(ssim(a, b)[1].item<double>() == doctest::Approx(ssim(b, a)[1].item<double>()));
  CHECK(psnr_from_sse(0, 10) == 99.0);
  CHECK(psnr_from_sse(10 * 255.0 * 255.0, 10) == doctest::Approx(0.0));
  CHECK_THROWS_AS(ssim(a, torch::zeros({2, 8, 8, 3})), a2w::InvalidArgument);
}

TEST_CASE(
    "evaluate_fidelity: an oracle scores perfectly, a copy-last model scores as the copy-last baseline") {
  wmtest::TempDir dir("fidelity");
  record_lift(dir.str("LiftCube-v0"));
  auto c = test::fake_config(16);
  FidelityOptions o;
  o.data = {dir.str()};
  o.horizons = {1, 4, 8};
  o.batch_size = 4;
  o.strip_horizon = 8;
  o.progress = false;

  EpisodeIndexOptions io;
  io.paths = o.data;
  EpisodeIndex index(io);
  REQUIRE(index.episodes().size() == 2);
  OracleModel oracle(c, index);
  const auto r = evaluate_fidelity(oracle, o, "oracle");
  CHECK(r.episodes == 2);
  CHECK(r.replay_mismatch_steps == 0);  // the physics replay reproduces the recorded states
  REQUIRE(r.groups.size() == 3);
  CHECK(r.groups[0].name == "all");
  CHECK(r.groups[1].episodes == 1);  // the expert's success
  CHECK(r.groups[2].episodes == 1);  // the push away: a failure
  for (const auto& h : r.groups[0].horizons) {
    CAPTURE(h.horizon);
    CHECK(h.episodes == 2);
    CHECK(h.model.psnr == 99.0);
    CHECK(h.model.ssim == doctest::Approx(1.0));
    CHECK(h.ee_error_cm == doctest::Approx(0.0));
    CHECK(h.ee_error_cm_copy_last > 0.5);  // the arm moved
    CHECK(h.copy_last.psnr < 99.0);
    CHECK(h.erase.psnr < 99.0);
    CHECK(h.moving_fraction > 0.0);
  }
  // The task's predicate on the true states gives MuJoCo's verdict; the head (always 0) misses the success.
  CHECK(r.groups[0].success.agreement == doctest::Approx(1.0));
  CHECK(r.groups[0].success.counts[1][1] == 1);
  CHECK(r.groups[0].success.counts[0][0] == 1);
  CHECK(r.groups[0].success.head_agreement == doctest::Approx(0.5));
  CHECK(r.strip.shape() == a2w::env::Shape{32, 80, 3});  // 2 rows, 5 steps (0, 2, 4, 6, 8) of 16 pixels

  CopyLastModel copy(c);
  o.erase_baseline = false;
  const auto q = evaluate_fidelity(copy, o, "copy");
  CHECK(q.replay_mismatch_steps == 0);
  for (const auto& h : q.groups[0].horizons) {
    CAPTURE(h.horizon);
    CHECK(h.model.psnr == doctest::Approx(h.copy_last.psnr));
    CHECK(h.model.psnr_moving == doctest::Approx(h.copy_last.psnr_moving));
    CHECK(h.model.ssim == doctest::Approx(h.copy_last.ssim));
    CHECK(std::isnan(h.erase.psnr));
  }
  const auto d = q.to_dict();
  CHECK(a2w::env::get(d, "episodes").as_int() == 2);

  o.horizons = {0};
  CHECK_THROWS_WITH_AS(evaluate_fidelity(copy, o), doctest::Contains("positive multiples"),
                       a2w::InvalidArgument);
  o.horizons = {1};
  auto wrong = test::fake_config(32);
  CopyLastModel big(wrong);
  CHECK_THROWS_WITH_AS(evaluate_fidelity(big, o), doctest::Contains("--image-size 32"), a2w::InvalidArgument);
}
