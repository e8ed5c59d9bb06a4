#include <a2w/env/wrappers.h>
#include <doctest/doctest.h>

#include <cmath>

#include "counter_env.h"
#include "test_util.h"

using namespace a2w::env;
using a2w::test::CounterEnv;
using a2w::test::message_of;

namespace {

Array action(float a0, float a1 = 0.0f) {
  return Array::from({a0, a1});
}
std::int64_t t_of(const Dict& obs) {
  return obs.at("t").as_array().item<std::int64_t>();
}
float last_action(const Dict& obs, int k) {
  return obs.at("last_action").as_array().data<float>()[k];
}

}  // namespace

TEST_CASE("TimeLimit truncates at max_steps") {
  TimeLimit env(std::make_unique<CounterEnv>(0, 10), 3);
  CHECK(env.spec().max_episode_steps == 3);
  env.reset(2);
  CHECK_FALSE(env.step(action(0)).truncated);
  CHECK_FALSE(env.step(action(0)).info.contains("TimeLimit.truncated"));
  const StepResult r = env.step(action(0));
  CHECK(r.truncated);
  CHECK_FALSE(r.terminated);
  CHECK(r.info.at("TimeLimit.truncated").as_bool());
  CHECK(env.elapsed_steps() == 3);
  CHECK(a2w::test::contains(message_of<a2w::Error>([&] { env.step(action(0)); }), "truncated at 3 steps"));
  env.reset(2);
  CHECK(env.elapsed_steps() == 0);
  CHECK_FALSE(env.step(action(0)).truncated);

  // When the env terminates on the limit's step: truncated too, but the flag says it was not the limit.
  TimeLimit both(std::make_unique<CounterEnv>(0, 2), 2);
  both.reset(1);  // odd seed: terminates at step 2
  both.step(action(0));
  const StepResult end = both.step(action(0));
  CHECK(end.terminated);
  CHECK(end.truncated);
  CHECK_FALSE(end.info.at("TimeLimit.truncated").as_bool());

  CHECK_THROWS_AS(TimeLimit(std::make_unique<CounterEnv>(), 0), a2w::InvalidArgument);  // spec has no limit
  CHECK(&env.unwrapped() != static_cast<Env*>(&env));
}

TEST_CASE("ActionRepeat sums rewards and stops at the episode end") {
  ActionRepeat env(std::make_unique<CounterEnv>(0, 4), 3);
  CHECK(env.spec().control_hz == doctest::Approx(20.0 / 3));
  env.reset(2);
  const StepResult a = env.step(action(0.5f));
  CHECK(t_of(a.obs) == 3);
  CHECK(a.reward == doctest::Approx(1 + 2 + 3 + 3 * 0.5));
  CHECK_FALSE(a.truncated);
  const StepResult b = env.step(action(0.5f));
  CHECK(t_of(b.obs) == 4);  // stopped after one inner step: the episode ended
  CHECK(b.reward == doctest::Approx(4.5));
  CHECK(b.truncated);
  CHECK_THROWS_AS(ActionRepeat(std::make_unique<CounterEnv>(), 0), a2w::InvalidArgument);
}

TEST_CASE("ClipAction clips to the inner Box") {
  ClipAction env(std::make_unique<CounterEnv>(0, 10));
  CHECK(env.spec().action_space->str() == "Box(-inf, inf, (2,), float32)");
  env.reset(1);
  const StepResult r = env.step(action(2.0f, -3.0f));
  CHECK(last_action(r.obs, 0) == 1.0f);
  CHECK(last_action(r.obs, 1) == -1.0f);
  CHECK(last_action(env.step(action(0.25f)).obs, 0) == 0.25f);
  CHECK_THROWS_AS(env.step(action(NAN)), a2w::InvalidArgument);
  CHECK(message_of<a2w::InvalidArgument>([&] {
          env.step(Array::from({1.0, 2.0}));
        }) == "ClipAction: expected action as float32 array of shape [2], got float64 array of shape [2]");
}

TEST_CASE("RescaleAction maps [min, max] onto the inner Box") {
  RescaleAction env(std::make_unique<CounterEnv>(0, 10), 0.0, 1.0);
  CHECK(env.spec().action_space->str() == "Box(0.0, 1.0, (2,), float32)");
  env.reset(1);
  StepResult r = env.step(action(0.0f, 1.0f));
  CHECK(last_action(r.obs, 0) == -1.0f);
  CHECK(last_action(r.obs, 1) == 1.0f);
  r = env.step(action(0.5f, 0.75f));
  CHECK(last_action(r.obs, 0) == 0.0f);
  CHECK(last_action(r.obs, 1) == 0.5f);
  r = env.step(action(2.0f, -1.0f));  // outside: clipped after mapping
  CHECK(last_action(r.obs, 0) == 1.0f);
  CHECK(last_action(r.obs, 1) == -1.0f);
  CHECK_THROWS_AS(RescaleAction(std::make_unique<CounterEnv>(), 1.0, 1.0), a2w::InvalidArgument);
}

TEST_CASE("FrameStack stacks the last n frames, padding with the reset frame") {
  FrameStack env(std::make_unique<CounterEnv>(0, 10), 3, {"t"});
  const auto& space = static_cast<const DictSpace&>(*env.spec().observation_space);
  CHECK(space.at("t")->str() == "Box(0, 1000000, (3,), int64)");
  CHECK(space.at("last_action")->str() == "Box(-inf, inf, (2,), float32)");  // not stacked
  auto ts = [](const Dict& obs) {
    const Array& a = obs.at("t").as_array();
    REQUIRE(a.shape() == Shape{3});
    return std::vector<std::int64_t>(a.data<std::int64_t>(), a.data<std::int64_t>() + 3);
  };
  const ResetResult r = env.reset(4);
  CHECK(space.contains(Value(r.obs)));
  CHECK(ts(r.obs) == std::vector<std::int64_t>{0, 0, 0});
  CHECK(ts(env.step(action(0)).obs) == std::vector<std::int64_t>{0, 0, 1});
  CHECK(ts(env.step(action(0)).obs) == std::vector<std::int64_t>{0, 1, 2});
  const StepResult s = env.step(action(0));
  CHECK(ts(s.obs) == std::vector<std::int64_t>{1, 2, 3});
  CHECK(space.contains(Value(s.obs)));
  CHECK(ts(env.reset(4).obs) == std::vector<std::int64_t>{0, 0, 0});

  FrameStack all(std::make_unique<CounterEnv>(), 2);
  CHECK(all.keys() == std::vector<std::string>{"last_action", "seed", "t"});
  CHECK(all.reset(1).obs.at("last_action").as_array().shape() == Shape{2, 2});
  CHECK_THROWS_AS(FrameStack(std::make_unique<CounterEnv>(), 2, {"instruction"}), a2w::InvalidArgument);
  CHECK_THROWS_AS(FrameStack(std::make_unique<CounterEnv>(), 2, {"nope"}), a2w::NotFound);
  CHECK_THROWS_AS(FrameStack(std::make_unique<CounterEnv>(), 0), a2w::InvalidArgument);
}

TEST_CASE("RecordEpisodeStatistics adds info[\"episode\"] at the end") {
  RecordEpisodeStatistics env(std::make_unique<CounterEnv>(0, 3));
  for (int episode = 0; episode < 2; ++episode) {
    env.reset(2);
    double ret = 0;
    StepResult r;
    for (int i = 0; i < 3; ++i) {
      r = env.step(action(0.5f));
      ret += r.reward;
      if (i < 2) CHECK_FALSE(r.info.contains("episode"));
    }
    const Dict& e = r.info.at("episode").as_dict();
    CHECK(e.at("r").as_double() == doctest::Approx(ret));
    CHECK(e.at("l").as_int() == 3);
    CHECK(e.at("t").as_double() >= 0.0);
  }
  CHECK(env.episode_count() == 2);
  CHECK(env.returns().size() == 2);
  CHECK(env.lengths().back() == 3);
}
