// A2World-sim as an environment: WorldModelVectorEnv / WorldModelEnv with a deterministic fake WorldModel
// and the physics LiftCube task as the initial-state source (32x32 frames, so it stays CI-fast).

#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "a2w/env/action_noise.h"
#include "a2w/env/policy.h"
#include "a2w/env/registry.h"
#include "a2w/env/rollout.h"
#include "a2w/env/state.h"
#include "a2w/tasks/tasks.h"
#include "a2w/wm/register_sim.h"
#include "a2w/wm/world_model_env.h"
#include "fake_world_model.h"

using namespace a2w;
using a2w::env::Array;
using a2w::env::AutoresetMode;
using a2w::env::Dict;
using a2w::env::DType;
using a2w::wm::test::FakeWorldModel;

namespace {

constexpr const char* kTask = "a2w/LiftCube-v0";
constexpr int kSize = 32;

template <typename E, typename F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  return "";
}

bool has(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

env::EnvPtr physics() {
  tasks::register_tasks();
  return a2w::make(kTask, {{"image_size", kSize}});
}

wm::WorldModelEnvOptions sim_options(int n, AutoresetMode mode, std::int64_t horizon = 0,
                                     wm::TerminateOn on = wm::TerminateOn::kPredicate) {
  tasks::register_tasks();
  wm::WorldModelEnvOptions o;
  o.task = kTask;
  o.num_envs = n;
  o.autoreset_mode = mode;
  o.horizon = horizon;
  o.terminate_on = on;
  return o;
}

// The state vector of the physics task's reset for `seed` (what the fake model returns by default: a state
// in which the task has not succeeded).
std::vector<float> reset_state(std::uint64_t seed) {
  auto e = physics();
  const auto r = e->reset(seed);
  const auto s = r.info.at("state/vector").as_array().span<float>();
  return {s.begin(), s.end()};
}

// The same state with the cube 15 cm up: LiftCube's predicate lifted(cube, 0.1) holds in it.
std::vector<float> lifted_state(std::uint64_t seed) {
  auto s = reset_state(seed);
  s[env::kStateObjectsAt + 2] += 0.15f;
  return s;
}

Array actions(int n, float gripper = -1.0f, float x = 0.0f) {
  Array a(DType::kFloat32, {n, 7});
  for (int i = 0; i < n; ++i) {
    a.row(i).data<float>()[0] = x;
    a.row(i).data<float>()[6] = gripper;
  }
  return a;
}

void check_same_obs(const Dict& a, const Dict& b) {
  REQUIRE(a.size() == b.size());
  for (const auto& [key, v] : a) {
    CAPTURE(key);
    REQUIRE(b.count(key));
    if (v.is_string())
      CHECK(v.as_string() == b.at(key).as_string());
    else
      CHECK(v.as_array().equals(b.at(key).as_array()));
  }
}

// The physics observation restricted to the keys A2World-sim imagines (the physics task has exactly these).
Dict physics_first_obs(std::uint64_t seed) {
  auto e = physics();
  return e->reset(seed).obs;
}

}  // namespace

TEST_CASE("the first observation is the physics task's first observation for the same seed, bitwise") {
  auto model = std::make_shared<FakeWorldModel>();
  wm::WorldModelEnv sim(model, sim_options(1, AutoresetMode::kDisabled));
  const auto r = sim.reset(std::uint64_t{42});
  check_same_obs(r.obs, physics_first_obs(42));
  CHECK(r.info.at("imagined").as_bool() == false);
  CHECK(r.info.at("episode_seed").as_int() == 42);

  // In a batch, env i's first observation is physics' for episode_seed(base, i, 0).
  wm::WorldModelVectorEnv vec(model, sim_options(3, AutoresetMode::kNextStep));
  const auto& vr = vec.reset(std::uint64_t{9});
  for (int i = 0; i < 3; ++i) {
    CAPTURE(i);
    const std::uint64_t seed = env::episode_seed(9, static_cast<std::uint64_t>(i), 0);
    CHECK(vec.episode_seed(i) == seed);
    CHECK(vec.episode_index(i) == 0);
    check_same_obs(env::read_row(vr.obs, i), physics_first_obs(seed));
  }
}

TEST_CASE("observation and action spaces, keys, dtypes and shapes are the physics task's") {
  auto model = std::make_shared<FakeWorldModel>();
  model->state = reset_state(3);
  wm::WorldModelEnv sim(model, sim_options(1, AutoresetMode::kDisabled));
  auto phys = physics();
  CHECK(sim.spec().id == "a2w-sim/LiftCube-v0");
  CHECK(sim.spec().observation_space->str() == phys->spec().observation_space->str());
  CHECK(sim.spec().action_space->str() == phys->spec().action_space->str());
  CHECK(sim.spec().max_episode_steps == phys->spec().max_episode_steps);
  CHECK(sim.spec().control_hz == phys->spec().control_hz);
  CHECK(sim.spec().metadata.at("imagined").as_bool());
  CHECK(sim.spec().metadata.at("source").as_string() == kTask);

  const auto r = sim.reset(std::uint64_t{3});
  sim.spec().observation_space->check(env::Value(r.obs), "reset obs");
  const auto s = sim.step(actions(1).row(0));
  sim.spec().observation_space->check(env::Value(s.obs), "step obs");
  // Proprio comes from the predicted state vector (env/state.h layout).
  const auto st = s.info.at("state/vector").as_array().span<float>();
  CHECK(s.obs.at("joint_states").as_array().span<float>()[3] == st[env::kStateJoints + 3]);
  CHECK(s.obs.at("gripper_states").as_array().span<float>()[1] == st[env::kStateGripper + 1]);
  CHECK(s.obs.at("ee_pos").as_array().span<float>()[2] == st[env::kStateEePos + 2]);
  CHECK(s.obs.at("ee_ori").as_array().span<float>()[0] == st[env::kStateEeOri]);
  CHECK(s.obs.at("instruction").as_string() == r.obs.at("instruction").as_string());
  // The imagined frame is the model's: the fake adds 1 + seed % 13 to the last context frame.
  const Array& f0 = r.obs.at("agentview_rgb").as_array();
  const Array& f1 = s.obs.at("agentview_rgb").as_array();
  const int shift = (f1.data<std::uint8_t>()[0] - f0.data<std::uint8_t>()[0] + 256) % 256;
  CHECK(shift == 1 + static_cast<int>(wm::imagined_step_seed(3, 0) % 13));
  CHECK(s.info.at("imagined").as_bool());
  for (const char* key :
       {"success", "is_success", "success_predicate", "success_head", "reward_head", "state/mask"})
    CHECK_MESSAGE(s.info.count(key), key);
  // The model saw the context (the reset frame K times), the anchor, the task's row and the step's seed.
  const auto& in = model->last_input;
  CHECK(in.context.sizes() == c10::IntArrayRef({1, 2, 2, kSize, kSize, 3}));
  CHECK(in.anchor.sizes() == c10::IntArrayRef({1, 2, kSize, kSize, 3}));
  CHECK(in.task.item<std::int64_t>() == 1);  // fake_config().tasks[1] is LiftCube
  CHECK(in.seeds == std::vector<std::uint64_t>{wm::imagined_step_seed(3, 0)});
  CHECK(std::memcmp(in.context.data_ptr<std::uint8_t>(), f0.raw(), f0.nbytes()) == 0);
  // render(): the views side by side.
  CHECK(sim.render().shape() == env::Shape{kSize, 2 * kSize, 3});
}

TEST_CASE("the context shifts: oldest frame out, predicted frame in, the anchor stays the first frame") {
  auto model = std::make_shared<FakeWorldModel>();
  wm::WorldModelEnv sim(model, sim_options(1, AutoresetMode::kDisabled));
  const auto r = sim.reset(std::uint64_t{5});
  const Array first = r.obs.at("eye_in_hand_rgb").as_array().clone();
  const auto s1 = sim.step(actions(1).row(0));
  const Array f1 = s1.obs.at("eye_in_hand_rgb").as_array().clone();
  sim.step(actions(1).row(0));
  const auto& in = model->last_input;  // the input of the second step: context [first, f1]
  const auto bytes = static_cast<std::size_t>(first.nbytes());
  const std::uint8_t* ctx = in.context.data_ptr<std::uint8_t>();
  // view 1 (eye_in_hand), frames 0 and 1
  CHECK(std::memcmp(ctx + (1 * 2 + 0) * bytes, first.raw(), bytes) == 0);
  CHECK(std::memcmp(ctx + (1 * 2 + 1) * bytes, f1.raw(), bytes) == 0);
  CHECK(std::memcmp(in.anchor.data_ptr<std::uint8_t>() + bytes, first.raw(), bytes) == 0);
}

TEST_CASE("actions: clipped to [-1, 1] and repeated over the model's action horizon") {
  auto model = std::make_shared<FakeWorldModel>(wm::test::fake_config(kSize, 3));
  wm::WorldModelEnv sim(model, sim_options(1, AutoresetMode::kDisabled));
  sim.reset(std::uint64_t{1});
  Array a = Array::from<float>({0.5f, 2.0f, -3.0f, 0, 0, 0, 1}, {7});
  sim.step(a);
  const torch::Tensor got = model->last_input.actions;
  REQUIRE(got.sizes() == c10::IntArrayRef({1, 3, 7}));
  for (int h = 0; h < 3; ++h) {
    CHECK(got[0][h][0].item<float>() == 0.5f);
    CHECK(got[0][h][1].item<float>() == 1.0f);
    CHECK(got[0][h][2].item<float>() == -1.0f);
  }
}

TEST_CASE("a task variant with action noise: imagined episodes execute the noise physics would, per seed") {
  auto model = std::make_shared<FakeWorldModel>(wm::test::fake_config(kSize, 3));
  auto o = sim_options(2, AutoresetMode::kDisabled);
  o.source = [] {
    tasks::register_tasks();
    return a2w::make(kTask, {{"image_size", kSize}, {"perturbation", "action_noise"}});
  };
  wm::WorldModelVectorEnv sim(model, o);
  sim.reset({true, true}, {77, 78});
  sim.step(actions(2, 0.0f));
  // The stream the physics task draws for an episode of seed 77 (env/action_noise.h), 0.3 in the task file.
  env::ActionNoise noise(0.3);
  noise.reset(77);
  float expect[7] = {0, 0, 0, 0, 0, 0, 0};
  noise.apply(expect, 7);
  const torch::Tensor got = model->last_input.actions;
  for (int h = 0; h < 3; ++h)
    for (int d = 0; d < 7; ++d) CHECK(got[0][h][d].item<float>() == expect[d]);
  CHECK(got[1][0][0].item<float>() != expect[0]);  // another seed, another draw
  CHECK(sim.single_spec().metadata.count("imagined") == 1);
}

TEST_CASE("NEXT_STEP: the step after an end resets, ignores the action, reward 0, flags false") {
  auto model = std::make_shared<FakeWorldModel>();
  wm::WorldModelVectorEnv vec(model, sim_options(3, AutoresetMode::kNextStep, 3));
  CHECK(vec.single_spec().metadata.at("autoreset_mode").as_string() == "NEXT_STEP");
  vec.reset(std::uint64_t{7});
  // Env 1 ends at its first step by the success head (terminate_on predicate would not): use "head" here.
  wm::WorldModelVectorEnv head(model, sim_options(3, AutoresetMode::kNextStep, 3, wm::TerminateOn::kHead));
  head.reset(std::uint64_t{7});
  Array a = actions(3);
  a.row(1).data<float>()[6] = 1.0f;  // success head probability 1
  const auto& s1 = head.step(a);
  CHECK_FALSE(s1.terminated.data<bool>()[0]);
  CHECK(s1.terminated.data<bool>()[1]);
  CHECK(s1.infos[1].at("success").as_bool());
  CHECK(s1.infos[1].at("success_head").as_double() == doctest::Approx(1.0));
  CHECK_FALSE(s1.infos[1].at("success_predicate").as_bool());
  // Its action is ignored on the next step (even NaN), which resets it.
  a.row(1).data<float>()[0] = NAN;
  const auto& s2 = head.step(a);
  CHECK(s2.reward.data<double>()[1] == 0.0);
  CHECK_FALSE(s2.terminated.data<bool>()[1]);
  CHECK_FALSE(s2.truncated.data<bool>()[1]);
  CHECK(s2.infos[1].at("imagined").as_bool() == false);
  CHECK(head.episode_index(1) == 1);
  CHECK(head.episode_seed(1) == env::episode_seed(7, 1, 1));
  check_same_obs(env::read_row(s2.obs, 1), physics_first_obs(env::episode_seed(7, 1, 1)));
  CHECK(head.elapsed_steps(0) == 2);
  CHECK(head.elapsed_steps(1) == 0);

  // Truncation at the horizon (3), then the reset step.
  for (int t = 1; t <= 3; ++t) {
    const auto& s = vec.step(actions(3));
    for (int i = 0; i < 3; ++i) {
      CHECK(s.truncated.data<bool>()[i] == (t == 3));
      CHECK_FALSE(s.terminated.data<bool>()[i]);
    }
  }
  const auto& s4 = vec.step(actions(3));
  for (int i = 0; i < 3; ++i) {
    CHECK(vec.episode_index(i) == 1);
    CHECK(s4.infos[static_cast<std::size_t>(i)].at("imagined").as_bool() == false);
  }
}

TEST_CASE("SAME_STEP: the ending step resets at once, final_obs and final_info hold the imagined end") {
  auto model = std::make_shared<FakeWorldModel>();
  wm::WorldModelVectorEnv vec(model, sim_options(2, AutoresetMode::kSameStep, 2));
  vec.reset(std::uint64_t{3});
  const auto& s1 = vec.step(actions(2));
  CHECK_FALSE(s1.final_obs[0].has_value());
  const Array before = s1.obs.at("agentview_rgb").as_array().row(0).clone();
  const auto& s2 = vec.step(actions(2));
  for (int i = 0; i < 2; ++i) {
    const auto k = static_cast<std::size_t>(i);
    CAPTURE(i);
    CHECK(s2.truncated.data<bool>()[i]);
    REQUIRE(s2.final_obs[k].has_value());
    REQUIRE(s2.final_info[k].has_value());
    CHECK(s2.final_info[k]->at("imagined").as_bool());
    CHECK(s2.infos[k].at("imagined").as_bool() == false);
    check_same_obs(env::read_row(s2.obs, i),
                   physics_first_obs(env::episode_seed(3, static_cast<std::uint64_t>(i), 1)));
    CHECK(vec.episode_index(i) == 1);
  }
  // The final frame is the imagined one: the fake shifted step 1's frame again.
  const Array& last = s2.final_obs[0]->at("agentview_rgb").as_array();
  const int shift = (last.data<std::uint8_t>()[0] - before.data<std::uint8_t>()[0] + 256) % 256;
  CHECK(shift == 1 + static_cast<int>(wm::imagined_step_seed(env::episode_seed(3, 0, 0), 1) % 13));
}

TEST_CASE("DISABLED: an ended env must be reset explicitly, reset_mask only in DISABLED mode") {
  auto model = std::make_shared<FakeWorldModel>();
  wm::WorldModelVectorEnv vec(model, sim_options(2, AutoresetMode::kDisabled, 1));
  CHECK(has(message_of<Error>([&] { vec.step(actions(2)); }), "has not been reset"));
  vec.reset(std::uint64_t{5});
  vec.step(actions(2));
  CHECK(has(message_of<Error>([&] { vec.step(actions(2)); }), "autoreset is DISABLED"));
  // Inactive ended envs may stay ended.
  vec.reset(std::uint64_t{5}, {{"reset_mask", env::List{true, false}}});
  CHECK(vec.episode_index(0) == 0);  // a new base seed restarts the counters
  CHECK(vec.episode_seed(0) == env::episode_seed(5, 0, 0));
  const auto& s = vec.step(actions(2), {true, false});
  CHECK(s.truncated.data<bool>()[0]);
  CHECK(s.infos[1].empty());
  CHECK(vec.reset({false, true}, {0, 77}).infos[1].at("episode_seed").as_int() == 77);
  CHECK(vec.episode_seed(1) == 77);

  wm::WorldModelVectorEnv next(model, sim_options(2, AutoresetMode::kNextStep));
  CHECK(has(message_of<InvalidArgument>([&] {
              next.reset(std::uint64_t{1}, {{"reset_mask", env::List{true, false}}});
            }),
            "DISABLED"));
}

TEST_CASE("an episode imagines the same frames in batch 1 and batch 4, whatever its neighbours do") {
  auto model = std::make_shared<FakeWorldModel>();
  constexpr std::uint64_t kBase = 11;
  constexpr int kSteps = 5;
  // Batch 4 with a staggered active mask: rows step at different times, so each predict() mixes rows at
  // different step indices.
  wm::WorldModelVectorEnv four(model, sim_options(4, AutoresetMode::kDisabled, 50));
  four.reset(kBase);
  std::vector<std::vector<Array>> frames4(4), states4(4);
  std::vector<int> taken(4, 0);
  for (int round = 0; round < 3 * kSteps; ++round) {
    std::vector<bool> active(4);
    for (int i = 0; i < 4; ++i)
      active[static_cast<std::size_t>(i)] =
          taken[static_cast<std::size_t>(i)] < kSteps && (round + i) % (1 + i % 2) == 0;
    Array a = actions(4);
    for (int i = 0; i < 4; ++i)
      a.row(i).data<float>()[0] = 0.1f * static_cast<float>(taken[static_cast<std::size_t>(i)]);
    const auto& s = four.step(a, active);
    for (int i = 0; i < 4; ++i) {
      if (!active[static_cast<std::size_t>(i)]) continue;
      ++taken[static_cast<std::size_t>(i)];
      frames4[static_cast<std::size_t>(i)].push_back(s.obs.at("eye_in_hand_rgb").as_array().row(i).clone());
      states4[static_cast<std::size_t>(i)].push_back(
          s.infos[static_cast<std::size_t>(i)].at("state/vector").as_array().clone());
    }
  }
  CHECK(model->batch_sizes.size() > 0);
  for (int i = 0; i < 4; ++i) {
    CAPTURE(i);
    REQUIRE(taken[static_cast<std::size_t>(i)] == kSteps);
    wm::WorldModelVectorEnv one(model, sim_options(1, AutoresetMode::kDisabled, 50));
    one.reset({true}, {env::episode_seed(kBase, static_cast<std::uint64_t>(i), 0)});
    for (int t = 0; t < kSteps; ++t) {
      const auto& s = one.step(actions(1, -1.0f, 0.1f * static_cast<float>(t)));
      CHECK(s.obs.at("eye_in_hand_rgb")
                .as_array()
                .row(0)
                .equals(frames4[static_cast<std::size_t>(i)][static_cast<std::size_t>(t)]));
      CHECK(s.infos[0]
                .at("state/vector")
                .as_array()
                .equals(states4[static_cast<std::size_t>(i)][static_cast<std::size_t>(t)]));
    }
  }
  // Rows with other seeds imagine other frames (the test would pass vacuously otherwise).
  CHECK_FALSE(frames4[0][0].equals(frames4[1][0]));
}

TEST_CASE("terminated by the task's own predicate on the predicted state, with its held() counter") {
  auto model = std::make_shared<FakeWorldModel>();
  model->perturb = false;
  model->state = lifted_state(4);  // LiftCube: held(3, lifted(cube, 0.1))
  for (auto on : {wm::TerminateOn::kPredicate, wm::TerminateOn::kEither}) {
    CAPTURE(wm::to_string(on));
    wm::WorldModelEnv sim(model, sim_options(1, AutoresetMode::kDisabled, 0, on));
    sim.reset(std::uint64_t{4});
    for (int t = 1; t <= 3; ++t) {
      const auto s = sim.step(actions(1).row(0));  // gripper -1: head probability 0
      CHECK(s.info.at("success_predicate").as_bool() == (t == 3));
      CHECK(s.info.at("success_head").as_double() == doctest::Approx(0.0));
      CHECK(s.terminated == (t == 3));
      CHECK(s.info.at("success").as_bool() == (t == 3));
      CHECK_FALSE(s.truncated);
      if (t == 3) CHECK(s.reward > 5.0);  // the task's reward includes its success term (weight 5)
    }
  }
  // "head" ignores the predicate; "both" needs the head too.
  for (auto on : {wm::TerminateOn::kHead, wm::TerminateOn::kBoth}) {
    CAPTURE(wm::to_string(on));
    wm::WorldModelEnv sim(model, sim_options(1, AutoresetMode::kDisabled, 5, on));
    sim.reset(std::uint64_t{4});
    for (int t = 1; t <= 5; ++t) {
      const auto s = sim.step(actions(1).row(0));
      CHECK_FALSE(s.terminated);
      CHECK(s.info.at("success_predicate").as_bool() == (t >= 3));
      CHECK(s.truncated == (t == 5));
    }
    sim.reset(std::uint64_t{4});
    for (int t = 1; t <= 3; ++t) {
      const auto s = sim.step(actions(1, 1.0f).row(0));  // head probability 1
      CHECK(s.terminated == (on == wm::TerminateOn::kHead ? t == 1 : t == 3));
      if (s.terminated) break;
    }
  }
  // The head's threshold.
  auto o = sim_options(1, AutoresetMode::kDisabled, 0, wm::TerminateOn::kHead);
  o.success_threshold = 0.8;
  wm::WorldModelEnv sim(model, o);
  sim.reset(std::uint64_t{4});
  CHECK_FALSE(sim.step(actions(1, 0.5f).row(0)).terminated);  // probability 0.75
  CHECK(sim.step(actions(1, 0.7f).row(0)).terminated);        // probability 0.85
}

TEST_CASE(
    "not terminated on an unsuccessful predicted state; truncated at the horizon, the task's by default") {
  auto model = std::make_shared<FakeWorldModel>();
  model->state = reset_state(6);
  wm::WorldModelEnv sim(model, sim_options(1, AutoresetMode::kDisabled));
  CHECK(sim.spec().max_episode_steps == 100);  // lift_cube.yaml's horizon
  sim.reset(std::uint64_t{6});
  for (int t = 1; t <= 100; ++t) {
    const auto s = sim.step(actions(1).row(0));
    CHECK_FALSE(s.terminated);
    REQUIRE(s.truncated == (t == 100));
  }
  CHECK(has(message_of<Error>([&] { sim.step(actions(1).row(0)); }), "episode ended"));
}

TEST_CASE("bad actions are refused before anything is stepped") {
  auto model = std::make_shared<FakeWorldModel>();
  wm::WorldModelVectorEnv vec(model, sim_options(2, AutoresetMode::kDisabled));
  vec.reset(std::uint64_t{1});
  CHECK(has(message_of<InvalidArgument>([&] { vec.step(Array(DType::kFloat32, {2, 6})); }), "shape [2, 7]"));
  CHECK(has(message_of<InvalidArgument>([&] { vec.step(Array(DType::kFloat64, {2, 7})); }), "float32"));
  Array nan = actions(2);
  nan.row(1).data<float>()[2] = NAN;
  CHECK(has(message_of<InvalidArgument>([&] { vec.step(nan); }), "env 1"));
  CHECK(model->calls == 0);
  vec.step(nan, {true, false});  // an inactive row's action is not used
  CHECK(model->calls == 1);
  CHECK(model->batch_sizes.back() == 1);

  wm::WorldModelEnv sim(model, sim_options(1, AutoresetMode::kDisabled));
  CHECK(has(message_of<Error>([&] { sim.step(actions(1).row(0)); }), "reset() before"));
  sim.reset(std::uint64_t{1});
  CHECK(has(message_of<InvalidArgument>([&] { sim.step(Array(DType::kFloat32, {6})); }), "shape [7]"));
  Array one = actions(1).row(0).clone();
  one.data<float>()[0] = INFINITY;
  CHECK(has(message_of<InvalidArgument>([&] { sim.step(one); }), "finite"));
}

TEST_CASE("rollout() runs a policy through the batched world-model env") {
  auto model = std::make_shared<FakeWorldModel>();
  wm::WorldModelVectorEnv vec(model, sim_options(3, AutoresetMode::kDisabled, 4));
  env::RandomPolicy policy(vec.single_spec().action_space, 1);
  env::RolloutOptions ro;
  ro.episodes = 5;
  ro.base_seed = 21;
  const auto eps = env::rollout(vec, policy, ro);
  REQUIRE(eps.size() == 5);
  for (std::size_t k = 0; k < eps.size(); ++k) {
    CHECK(eps[k].seed == env::episode_seed(21, k, 0));
    CHECK(eps[k].length <= 4);
    CHECK((eps[k].terminated || eps[k].truncated));
    CHECK(eps[k].final_info.at("imagined").as_bool());
  }
  // One predict() per step for all the slots that step.
  for (auto b : model->batch_sizes) CHECK(b <= 3);
  CHECK(model->batch_sizes.front() == 3);
}

TEST_CASE("the source must fit the model, predicate termination needs a source that can judge") {
  auto model = std::make_shared<FakeWorldModel>(wm::test::fake_config(48));
  auto o = sim_options(1, AutoresetMode::kDisabled);
  o.source = [] { return physics(); };  // 32x32 frames for a model of 48x48
  CHECK(has(message_of<InvalidArgument>([&] { wm::WorldModelVectorEnv v(model, o); }), "uint8 [48, 48, 3]"));

  auto cfg = wm::test::fake_config();
  cfg.state_dim = 20;
  CHECK(has(message_of<InvalidArgument>([&] {
              wm::WorldModelVectorEnv v(std::make_shared<FakeWorldModel>(cfg),
                                        sim_options(1, AutoresetMode::kDisabled));
            }),
            "state_dim 20"));
}

TEST_CASE("registry: a2w-sim ids mirror the physics tasks, a missing checkpoint is a clear error") {
  tasks::register_tasks();
  wm::register_sim_envs();
  CHECK(a2w::is_registered("a2w-sim/LiftCube-v0"));
  CHECK(a2w::is_registered("a2w-sim/PickPlaceBin-v0"));
  CHECK(wm::sim_id_of("a2w/LiftCube-v0") == "a2w-sim/LiftCube-v0");
  CHECK(wm::sim_id_of("user/Mine-v0") == "user-sim/Mine-v0");
  CHECK(wm::physics_id_of("a2w-sim/LiftCube-v0") == "a2w/LiftCube-v0");
  CHECK(wm::is_sim_id("a2w-sim/LiftCube-v0"));
  CHECK_FALSE(wm::is_sim_id("a2w/LiftCube-v0"));

  const std::string missing = message_of<InvalidArgument>([] {
    a2w::make("a2w-sim/LiftCube-v0", {{"checkpoint", "/nonexistent/model.a2wm"}});
  });
  CHECK(has(missing, "/nonexistent/model.a2wm"));
  CHECK(has(missing, "does not exist"));
  CHECK(has(missing, "checkpoint"));
  CHECK(has(message_of<InvalidArgument>([] {
              a2w::make("a2w-sim/LiftCube-v0", {{"checkpoint", "x"}, {"cameras", 1}});
            }),
            "unknown option 'cameras'"));
  CHECK(
      has(message_of<InvalidArgument>([] {
            a2w::make("a2w-sim/LiftCube-v0", {{"checkpoint", "/nonexistent"}, {"terminate_on", "sometimes"}});
          }),
          "predicate, head, either or both"));
  if (!std::filesystem::exists(wm::default_checkpoint())) {
    const std::string none = message_of<InvalidArgument>([] { a2w::make("a2w-sim/LiftCube-v0"); });
    CHECK(has(none, "no checkpoint given"));
    CHECK(has(none, "a2world-default.a2wm"));
  }
}
