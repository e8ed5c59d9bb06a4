// The state vector every task reports, and the judge that evaluates a task's success and reward on a state
// vector alone (what A2World-sim does with its predicted states).

#include <doctest/doctest.h>

#include <cmath>

#include "a2w/env/state.h"
#include "a2w/tasks/expert.h"
#include "task_test_util.h"

using namespace a2w;
using namespace a2w::tasks;

TEST_CASE("the judge agrees with the env on every step of expert episodes, given the env's own states") {
  for (const char* file : test::kBuiltinFiles) {
    CAPTURE(file);
    auto e = test::make_env(file);
    for (std::uint64_t seed : {1u, 2u}) {
      auto r = e->reset(seed);
      const auto& vec0 = r.info.at("state/vector").as_array();
      const auto& mask0 = r.info.at("state/mask").as_array();
      REQUIRE(vec0.shape() == env::Shape{env::kStateDim});
      REQUIRE(mask0.shape() == env::Shape{env::kStateDim});
      // Robot entries always present; padding is zero.
      for (int i = 0; i < env::kStateObjectsAt; ++i) CHECK(mask0.data<float>()[i] == 1.0f);
      for (int i = 0; i < env::kStateDim; ++i)
        if (mask0.data<float>()[i] == 0.0f) CHECK(vec0.data<float>()[i] == 0.0f);

      auto judge = e->make_state_judge();
      ExpertState state;
      env::Rng rng(seed);
      bool ended = false, succeeded = false, judged_success = false;
      int agree = 0, reward_agree = 0, steps = 0;
      while (!ended) {
        auto s = e->step(expert_action(*e, state, rng, 0.0));
        const auto j = judge->judge(s.info.at("state/vector").as_array().span<float>());
        agree += j.success == s.info.at("success").as_bool();
        judged_success = j.success;
        ++steps;
        reward_agree += std::abs(j.reward - s.reward) <= 0.02 * std::max(1.0, std::abs(s.reward));
        ended = s.terminated || s.truncated;
        succeeded = s.terminated;
      }
      CHECK(succeeded);
      // The state vector omits velocities and contact history, so a step can differ at a contact's edge;
      // the success at the end must match.
      CHECK(agree >= steps - 1);
      CHECK(reward_agree >= steps * 9 / 10);
      CHECK(judged_success);
    }
  }
}
