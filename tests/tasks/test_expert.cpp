// The scripted expert: succeeds on every built-in task (a few seeds here; the 100-seed acceptance run is
// the skipped case at the end, run it with --no-skip).
#include <doctest/doctest.h>

#include <cstdio>

#include "a2w/env/policy.h"
#include "a2w/env/registry.h"
#include "a2w/env/rollout.h"
#include "a2w/env/vector_env.h"
#include "a2w/tasks/expert.h"
#include "a2w/tasks/tasks.h"
#include "task_test_util.h"

using namespace a2w;
using namespace a2w::tasks;

namespace {

struct Episode {
  bool success = false;
  int length = 0;
};

Episode run(TaskEnv& e, std::uint64_t seed, bool expert, double noise = 0.0) {
  e.reset(seed);
  ExpertState state;
  env::Rng rng(seed ^ 0x5eedull);
  Episode ep;
  while (true) {
    env::Array a;
    if (expert) {
      a = expert_action(e, state, rng, noise);
    } else {
      std::vector<float> v(7);
      for (auto& x : v) x = static_cast<float>(rng.uniform(-1, 1));
      a = env::Array::from(v, {7});
    }
    const auto s = e.step(a);
    ++ep.length;
    if (s.terminated || s.truncated) {
      ep.success = s.info.at("success").as_bool();
      return ep;
    }
  }
}

}  // namespace

TEST_CASE("the expert succeeds on every built-in task (3 seeds each, state only)") {
  for (const char* f : test::kBuiltinFiles) {
    auto e = test::make_env(f);
    for (std::uint64_t seed : {11u, 12u, 13u}) {
      CAPTURE(f);
      CAPTURE(seed);
      CHECK(run(*e, seed, true).success);
    }
  }
}

TEST_CASE("the expert is deterministic without noise and noisy with it") {
  auto a = test::make_env("lift_cube.yaml"), b = test::make_env("lift_cube.yaml");
  a->reset(5);
  b->reset(5);
  ExpertState sa, sb;
  env::Rng ra(1), rb(2);
  for (int t = 0; t < 10; ++t) {
    const auto xa = expert_action(*a, sa, ra, 0.0), xb = expert_action(*b, sb, rb, 0.0);
    CHECK(xa.equals(xb));
    a->step(xa);
    b->step(xb);
  }
  ExpertState sc;
  env::Rng rc(3);
  a->reset(5);
  const auto clean = expert_action_clean(*a, sc);
  sc = ExpertState{};
  const auto noisy = expert_action(*a, sc, rc, 0.3);
  bool differs = false;
  for (int k = 0; k < 7; ++k) differs |= noisy.data<float>()[k] != clean[static_cast<std::size_t>(k)];
  CHECK(differs);
}

TEST_CASE("ExpertPolicy drives a VectorEnv through rollout()") {
  register_tasks();
  env::VectorEnvOptions vo;
  vo.num_envs = 2;
  vo.num_threads = 1;
  vo.autoreset_mode = env::AutoresetMode::kDisabled;
  env::ThreadedVectorEnv envs([](int) { return a2w::make("a2w/PressButton-v0", {{"render", false}}); }, vo);
  ExpertPolicy expert(envs, 0.0, 1);
  env::RolloutOptions ro;
  ro.episodes = 4;
  ro.base_seed = 3;
  const auto episodes = env::rollout(envs, expert, ro);
  REQUIRE(episodes.size() == 4);
  CHECK(env::summarize(episodes).success_rate >= 0.75);
  CHECK(expert.act({}).shape() == env::Shape{2, 7});
}

// Acceptance: expert >= 90 % and random <= 10 % over 100 seeds per task. About a minute on one core.
TEST_CASE("acceptance: expert and random success rates over 100 seeds" * doctest::skip()) {
  for (const char* f : test::kBuiltinFiles) {
    auto e = test::make_env(f);
    int expert = 0, random = 0;
    for (std::uint64_t seed = 0; seed < 100; ++seed) {
      expert += run(*e, seed, true).success;
      random += run(*e, seed, false).success;
    }
    std::printf("%-14s expert %3d/100  random %3d/100\n", e->task().name.c_str(), expert, random);
    CHECK(expert >= 90);
    CHECK(random <= 10);
  }
}
