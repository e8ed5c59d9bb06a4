// EpisodeIndex and WindowLoader on synthetic datasets whose frames, actions and labels encode (episode,
// step): context padding at the episode start, alignment of target frame, action and state label, task rows,
// the seeded fraction, and batches that depend on (seed, step) only.

#include <doctest/doctest.h>

#include <set>

#include "a2w/env/error.h"
#include "a2w/wm/episode_index.h"
#include "a2w/wm/state_normalizer.h"
#include "a2w/wm/window_loader.h"
#include "wm_test_util.h"

using namespace a2w::wm;

namespace {

EpisodeIndexOptions options(const std::string& dir) {
  EpisodeIndexOptions o;
  o.paths = {dir};
  return o;
}

}  // namespace

TEST_CASE("episode index: tasks, filters and fraction") {
  wmtest::TempDir dir("index");
  std::filesystem::create_directories(dir.path / "Lift");
  wmtest::write_dataset(dir.str("Lift/a.hdf5"), "a2w/LiftCube-v0", 4, 10, 16, 0);
  wmtest::write_dataset(dir.str("Lift/b.hdf5"), "a2w/LiftCube-v0", 4, 10, 16, 4);
  wmtest::write_dataset(dir.str("drawer.hdf5"), "a2w/OpenDrawer-v0", 3, 12, 16, 8);

  EpisodeIndex all(options(dir.str()));
  CHECK(all.episodes().size() == 11);
  CHECK(all.tasks() == std::vector<std::string>{"a2w/LiftCube-v0", "a2w/OpenDrawer-v0"});
  CHECK(all.image_size() == 16);
  CHECK(all.transitions() == 8 * 9 + 3 * 11);

  auto o = options(dir.str());
  o.exclude_tasks = {"a2w/OpenDrawer-v0"};
  EpisodeIndex lift(o);
  CHECK(lift.episodes().size() == 8);
  CHECK(lift.tasks() == std::vector<std::string>{"a2w/LiftCube-v0"});
  CHECK(lift.all_tasks().size() == 2);

  o = options(dir.str());
  o.tasks = {"a2w/OpenDrawer-v0"};
  CHECK(EpisodeIndex(o).episodes().size() == 3);

  // A quarter of each task's episodes, the same ones for the same seed, others for another seed.
  o = options(dir.str());
  o.fraction = 0.25;
  auto pick = [&](std::uint64_t seed) {
    o.seed = seed;
    EpisodeIndex idx(o);
    std::set<std::string> s;
    for (const auto& e : idx.episodes()) s.insert(idx.files()[static_cast<std::size_t>(e.file)] + e.demo);
    return s;
  };
  CHECK(pick(1).size() == 2 + 1);  // 8 lift -> 2, 3 drawer -> round(0.75) = 1
  CHECK(pick(1) == pick(1));
  bool differs = false;
  for (std::uint64_t s = 2; s < 8 && !differs; ++s) differs = pick(s) != pick(1);
  CHECK(differs);

  o = options(dir.str());
  o.tasks = {"a2w/Nope-v0"};
  CHECK_THROWS_WITH_AS(EpisodeIndex{o}, doctest::Contains("tasks found: a2w/LiftCube-v0, a2w/OpenDrawer-v0"),
                       a2w::InvalidArgument);
  o = options(dir.str("missing"));
  CHECK_THROWS_AS(EpisodeIndex{o}, a2w::NotFound);
  o = options(dir.str());
  o.view_keys = {"agentview_rgb", "wrist_rgb"};
  CHECK_THROWS_WITH_AS(EpisodeIndex{o}, doctest::Contains("obs/wrist_rgb"), a2w::InvalidArgument);
}

TEST_CASE("windows: context padding, target, action and state label alignment") {
  wmtest::TempDir dir("windows");
  wmtest::write_dataset(dir.str("a.hdf5"), "a2w/LiftCube-v0", 2, 8, 16, 5);
  auto index = std::make_shared<const EpisodeIndex>(options(dir.str()));
  auto c = wmtest::tiny();  // K = 2
  c.tasks = {"a2w/OpenDrawer-v0", "a2w/LiftCube-v0"};
  WindowLoader loader(index, c, 4, 0);

  const auto b = loader.windows({{0, 0}, {0, 1}, {1, 4}, {1, 6}});
  CHECK(b.history.sizes() == torch::IntArrayRef({4, 2, 3, 16, 16, 3}));
  CHECK(b.target.sizes() == torch::IntArrayRef({4, 2, 16, 16, 3}));
  const int eps[4] = {5, 5, 6, 6};
  const std::int64_t ts[4] = {0, 1, 4, 6};
  for (int i = 0; i < 4; ++i) {
    const int ep = eps[i];
    const auto t = ts[i];
    CAPTURE(i);
    for (int v = 0; v < 2; ++v) {
      // history = frames t-2, t-1, t; before the start, frame 0 repeats.
      for (int j = 0; j < 3; ++j)
        CHECK(torch::equal(b.history[i][v][j], wmtest::frame(ep, std::max<std::int64_t>(0, t - 2 + j), v)));
      CHECK(torch::equal(b.target[i][v], wmtest::frame(ep, t + 1, v)));
      CHECK(torch::equal(b.anchor[i][v], wmtest::frame(ep, 0, v)));
    }
    for (int j = 0; j < 7; ++j) {
      CHECK(b.actions[i][0][j].item<float>() == wmtest::action_value(ep, t, j));
      if (t >= 1) CHECK(b.prev_actions[i][0][j].item<float>() == wmtest::action_value(ep, t - 1, j));
    }
    CHECK(b.has_prev[i].item<bool>() == (t >= 1));
    // The label of transition t -> t + 1 is the state after action t: state/vector[t].
    CHECK(b.state[i][3].item<float>() == wmtest::state_value(ep, t, 3));
    CHECK(b.state_mask[i][3].item<float>() == 1.0f);
    CHECK(b.state_mask[i][20].item<float>() == 0.0f);
    // The input state is the one at frame t: after action t - 1, the reset's at t = 0.
    CHECK(b.state_in[i][3].item<float>() == wmtest::state_value(ep, t - 1, 3));
    CHECK(b.prev_state_in[i][3].item<float>() ==
          wmtest::state_value(ep, std::max<std::int64_t>(t - 2, -1), 3));
    CHECK(b.reward[i].item<float>() == 0.5f * static_cast<float>(t));
    CHECK(b.success[i].item<float>() == (t >= 5 ? 1.0f : 0.0f));
    CHECK(b.task[i].item<std::int64_t>() == 1);
  }
  // t + 1 must be a stored frame: t <= T - 2.
  CHECK_THROWS_WITH_AS(loader.windows({{0, 7}}), doctest::Contains("expected 0 <= t <= 6"),
                       a2w::InvalidArgument);
}

TEST_CASE("windows with an action chunk of 2 and frames resized to the model") {
  wmtest::TempDir dir("chunk");
  wmtest::write_dataset(dir.str("a.hdf5"), "a2w/LiftCube-v0", 1, 9, 32, 0);
  EpisodeIndexOptions o = options(dir.str());
  o.action_horizon = 2;
  auto index = std::make_shared<const EpisodeIndex>(o);
  CHECK(index->transitions() == 7);
  auto c = wmtest::tiny();
  c.action_horizon = 2;
  WindowLoader loader(index, c, 1, 0);
  const auto b = loader.windows({{0, 3}});
  CHECK(b.history.sizes() == torch::IntArrayRef({1, 2, 3, 16, 16, 3}));  // 32 px stored, 16 px model
  CHECK(b.actions.sizes() == torch::IntArrayRef({1, 2, 7}));
  CHECK(b.actions[0][1][0].item<float>() == wmtest::action_value(0, 4, 0));
  CHECK(b.prev_actions[0][0][0].item<float>() == wmtest::action_value(0, 1, 0));
  CHECK(b.state[0][0].item<float>() ==
        wmtest::state_value(0, 4, 0));  // after the chunk's last action (t = 4)
  CHECK(b.state_in[0][0].item<float>() == wmtest::state_value(0, 2, 0));       // frame 3
  CHECK(b.prev_state_in[0][0].item<float>() == wmtest::state_value(0, 0, 0));  // frame 1
  CHECK(b.reward[0].item<float>() == 0.5f * 3 + 0.5f * 4);
  // The tracked pixel (0, 0) of a 2x2 area average is the mean of its block.
  const auto big = wmtest::frame(0, 5, 0, 32).to(torch::kFloat32);
  const auto expect =
      big.narrow(0, 0, 2).narrow(1, 0, 2).mean(std::vector<std::int64_t>{0, 1}).round().to(torch::kUInt8);
  CHECK(torch::equal(b.target[0][0][0][0], expect));
}

TEST_CASE("partial chunks: every step starts a window, past the end is padded and masked") {
  wmtest::TempDir dir("partial");
  wmtest::write_dataset(dir.str("a.hdf5"), "a2w/LiftCube-v0", 1, 9, 16, 0);
  EpisodeIndexOptions o = options(dir.str());
  o.action_horizon = 1;  // the policy's index keeps short episodes
  auto index = std::make_shared<const EpisodeIndex>(o);
  auto c = wmtest::tiny();
  c.action_horizon = 4;
  CHECK_THROWS_AS(WindowLoader(index, c, 1, 0), a2w::InvalidArgument);  // whole chunks need their horizon
  WindowLoader loader(index, c, 1, 0, /*partial_chunks=*/true);
  std::set<std::int64_t> ts;
  for (int s = 0; s < 60; ++s)
    for (const auto& [e, t] : loader.draw(s)) ts.insert(t);
  CHECK(ts.size() == 9);  // t = 0 .. 8: the last steps start windows too
  CHECK(*ts.rbegin() == 8);
  // t = 7 of 9 steps: actions 7 and 8, then action 8 again (masked); the target is the last frame.
  const auto b = loader.windows({{0, 7}});
  CHECK(b.actions[0][1][0].item<float>() == wmtest::action_value(0, 8, 0));
  CHECK(b.actions[0][3][0].item<float>() == wmtest::action_value(0, 8, 0));
  CHECK(torch::equal(b.action_mask[0], torch::tensor({1.0f, 1.0f, 0.0f, 0.0f})));
  CHECK_FALSE(b.target_valid[0].item<bool>());
  CHECK(torch::equal(b.target[0][0], wmtest::frame(0, 8, 0, 16)));
  CHECK(b.state[0][0].item<float>() == wmtest::state_value(0, 8, 0));  // after the last real action
  // A whole chunk inside the episode is as before.
  const auto w = loader.windows({{0, 2}});
  CHECK(w.action_mask.sum().item<float>() == 4.0f);
  CHECK(w.target_valid[0].item<bool>());
  CHECK(torch::equal(w.target[0][0], wmtest::frame(0, 6, 0, 16)));
  CHECK_THROWS_AS(loader.windows({{0, 9}}), a2w::InvalidArgument);
}

TEST_CASE("batches depend on (seed, step) only, with or without prefetching") {
  wmtest::TempDir dir("batches");
  wmtest::write_dataset(dir.str("a.hdf5"), "a2w/LiftCube-v0", 3, 10, 16, 0);
  auto index = std::make_shared<const EpisodeIndex>(options(dir.str()));
  const auto c = wmtest::tiny();
  WindowLoader a(index, c, 8, 42), b(index, c, 8, 42), other(index, c, 8, 43);
  CHECK(a.draw(5) == b.draw(5));
  CHECK(a.draw(5) != a.draw(6));
  CHECK(a.draw(5) != other.draw(5));
  std::set<std::int64_t> ts;
  for (int s = 0; s < 20; ++s)
    for (const auto& [e, t] : a.draw(s)) {
      CHECK(e < 3);
      CHECK(t >= 0);
      CHECK(t <= 8);
      ts.insert(t);
    }
  CHECK(ts.size() == 9);  // every transition is drawn

  b.start(3, 2, 3);
  for (std::int64_t s = 3; s < 10; ++s) {
    const auto x = b.next(), y = a.batch(s);
    CHECK(x.episode == y.episode);
    CHECK(x.step == y.step);
    CHECK(torch::equal(x.history, y.history));
  }
  b.stop();
}

TEST_CASE("episodes without a recorded initial state start from state row 0") {
  wmtest::TempDir dir("no_initial");
  wmtest::write_dataset(dir.str("a.hdf5"), "a2w/LiftCube-v0", 1, 6, 16, 0, false);
  wmtest::write_dataset(dir.str("b.hdf5"), "a2w/PushCube-v0", 1, 6, 16, 1, true);
  const EpisodeIndex index(options(dir.str()));
  REQUIRE(index.episodes().size() == 2);
  for (const auto& e : index.episodes()) {
    CAPTURE(e.task);
    const bool recorded = e.task == "a2w/PushCube-v0";
    CHECK(e.has_initial_state == recorded);
    CHECK(e.initial_state.data<float>()[2] == wmtest::state_value(recorded ? 1 : 0, recorded ? -1 : 0, 2));
  }
  // Every step changes entries 0..15 by 1: 6 changes where the initial state was recorded, 5 where not.
  std::vector<double> count, sum_sq;
  index.state_change_moments(count, sum_sq);
  CHECK(count[3] == 11);
  CHECK(sum_sq[3] == doctest::Approx(11.0));
  CHECK(count[20] == 0);
  std::vector<double> n, sum, sq;
  index.state_moments(n, sum, sq);
  const auto norm = StateNormalizer::from_moments(n, sum, sq).with_delta(count, sum_sq);
  CHECK(norm.delta_rms[3].item<float>() == doctest::Approx(1.0 / norm.std[3].item<double>()));
  CHECK(norm.delta_rms[20].item<float>() == 1.0f);  // never present
}
