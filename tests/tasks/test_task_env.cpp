// TaskEnv: spaces, determinism, action validation, options, divergence handling.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "a2w/env/space.h"
#include "a2w/tasks/mujoco_boundary.h"
#include "task_test_util.h"

using namespace a2w;
using namespace a2w::tasks;
using env::Array;
using env::Dict;
using env::List;

namespace {

bool dicts_equal(const Dict& a, const Dict& b) {
  if (a.size() != b.size()) return false;
  for (const auto& [k, v] : a) {
    auto it = b.find(k);
    if (it == b.end()) return false;
    if (v.is_array() != it->second.is_array()) return false;
    if (v.is_array() ? !v.as_array().equals(it->second.as_array())
                     : (v.is_string() && v.as_string() != it->second.as_string()))
      return false;
  }
  return true;
}

}  // namespace

TEST_CASE("spaces match the observations (state only and with cameras)") {
  auto state = test::make_env("lift_cube.yaml");
  const auto& spec = state->spec();
  CHECK(spec.control_hz == doctest::Approx(20.0));
  CHECK(spec.max_episode_steps == 100);
  CHECK(spec.action_space->str() == env::Box(-1.0, 1.0, {7}).str());
  auto r = state->reset(1);
  spec.observation_space->check(Dict(r.obs), "reset obs");
  CHECK(r.obs.count("agentview_rgb") == 0);
  const std::string instruction = r.obs.at("instruction").as_string();
  CHECK(instruction == state->instruction());
  CHECK(instruction.find('{') == std::string::npos);  // placeholders filled
  const auto& obj = state->task().objects[0];
  CHECK(instruction.find(obj.colors[static_cast<std::size_t>(state->object_colors()[0])].name) !=
        std::string::npos);
  auto s = state->step(test::action({0, 0, 0, 0, 0, 0, -1}));
  spec.observation_space->check(Dict(s.obs), "step obs");
  CHECK(s.info.at("state/object_poses").as_array().shape() == env::Shape{1, 7});
  CHECK(s.info.at("state/tcp_pose").as_array().shape() == env::Shape{7});
  CHECK(s.info.at("success").is_bool());

  auto cams = test::make_env("pick_place_bin.yaml", {{"image_size", 64}, {"depth", true}});
  auto rc = cams->reset(3);
  cams->spec().observation_space->check(Dict(rc.obs), "obs with cameras");
  CHECK(rc.obs.at("agentview_rgb").as_array().shape() == env::Shape{64, 64, 3});
  CHECK(rc.obs.at("eye_in_hand_rgb").as_array().dtype() == env::DType::kUInt8);
  CHECK(rc.obs.at("agentview_depth").as_array().shape() == env::Shape{64, 64});
  const List& cam_meta = cams->spec().metadata.at("cameras").as_list();
  REQUIRE(cam_meta.size() == 2);
  const Dict& av = cam_meta[0].as_dict();
  CHECK(av.at("name").as_string() == "agentview");
  CHECK(av.at("fx").as_double() > 0);
  CHECK(av.at("extrinsics").as_array().shape() == env::Shape{4, 4});
  // The image is not blank: the table, robot and objects are drawn.
  const Array& img = rc.obs.at("agentview_rgb").as_array();
  std::uint8_t lo = 255, hi = 0;
  for (auto v : img.span<std::uint8_t>()) lo = std::min(lo, v), hi = std::max(hi, v);
  CHECK(hi - lo > 100);
  const Array frame = cams->render();
  CHECK(frame.shape() == env::Shape{64, 128, 3});
}

TEST_CASE("the same seed gives bitwise-identical observations, images included") {
  auto a = test::make_env("stack_cubes.yaml", {{"image_size", 64}});
  auto b = test::make_env("stack_cubes.yaml", {{"image_size", 64}});
  auto ra = a->reset(42), rb = b->reset(42);
  CHECK(dicts_equal(ra.obs, rb.obs));
  CHECK(ra.info.at("state/object_poses").as_array().equals(rb.info.at("state/object_poses").as_array()));
  for (int t = 0; t < 5; ++t) {
    const Array act = test::action({0.3f, -0.2f, -0.5f, 0.1f, 0, 0, static_cast<float>(t % 2)});
    auto sa = a->step(act), sb = b->step(act);
    CHECK(dicts_equal(sa.obs, sb.obs));
    CHECK(sa.reward == sb.reward);
  }
  // Reset again with the same seed after stepping: the same initial state.
  auto ra2 = a->reset(42);
  CHECK(dicts_equal(ra.obs, ra2.obs));
  // Another seed: another state.
  auto rc = b->reset(43);
  CHECK(!rc.info.at("state/object_poses").as_array().equals(ra.info.at("state/object_poses").as_array()));
}

TEST_CASE("actions are validated: shape, dtype, NaN, out-of-range values are clipped") {
  auto e = test::make_env("reach.yaml");
  CHECK_THROWS_WITH_AS(e->step(test::action({0, 0, 0, 0, 0, 0, 0})), doctest::Contains("reset()"), Error);
  e->reset(0);
  CHECK_THROWS_WITH_AS(e->step(Array::from(std::vector<float>(6, 0.f), {6})),
                       doctest::Contains("expected a float32 action of shape [7]"), InvalidArgument);
  CHECK_THROWS_WITH_AS(e->step(Array::from(std::vector<double>(7, 0.0), {7})),
                       doctest::Contains("got float64 [7]"), InvalidArgument);
  CHECK_THROWS_WITH_AS(e->step(Array::from(std::vector<float>(7, 0.f), {1, 7})), doctest::Contains("[1, 7]"),
                       InvalidArgument);
  CHECK_THROWS_WITH_AS(e->step(test::action({0, 0, NAN, 0, 0, 0, 0})), doctest::Contains("index 2"),
                       InvalidArgument);
  CHECK_THROWS_AS(e->step(test::action({0, 0, 0, 0, 0, INFINITY, 0})), InvalidArgument);
  // Clipped: 5 behaves exactly like 1.
  auto a = test::make_env("reach.yaml"), b = test::make_env("reach.yaml");
  a->reset(7);
  b->reset(7);
  auto sa = a->step(test::action({5, 0, -3, 0, 0, 0, 9}));
  auto sb = b->step(test::action({1, 0, -1, 0, 0, 0, 1}));
  CHECK(sa.obs.at("ee_pos").as_array().equals(sb.obs.at("ee_pos").as_array()));
}

TEST_CASE("options: unknown keys, state-only, image sizes, horizon") {
  CHECK_THROWS_WITH_AS(TaskEnvOptions::from_dict({{"imagesize", 64}}),
                       doctest::Contains("expected one of: cameras, depth, erase, horizon"), InvalidArgument);
  CHECK_THROWS_AS(TaskEnvOptions::from_dict({{"cameras", List{"frontview"}}}), InvalidArgument);
  const auto o =
      TaskEnvOptions::from_dict({{"image_size", 64}, {"image_width", 96}, {"cameras", List{"agentview"}}});
  CHECK(o.width == 96);
  CHECK(o.height == 64);
  CHECK(o.cameras == std::vector<std::string>{"agentview"});
  CHECK(TaskEnvOptions::from_dict({{"cameras", List{}}}).cameras.empty());
  auto e = test::make_env("press_button.yaml", {{"cameras", List{}}, {"horizon", 3}});
  auto r = e->reset(0);
  CHECK(r.obs.count("agentview_rgb") == 0);
  CHECK(r.obs.count("eye_in_hand_rgb") == 0);
  env::StepResult s;
  for (int t = 0; t < 3; ++t) s = e->step(test::action({0, 0, 0, 0, 0, 0, 0}));
  CHECK(s.truncated);
  CHECK(!s.terminated);
  CHECK_THROWS_WITH_AS(e->step(test::action({0, 0, 0, 0, 0, 0, 0})), doctest::Contains("episode ended"),
                       Error);
  // State-only envs still render agentview on demand.
  CHECK(e->render().shape() == env::Shape{128, 128, 3});
}

TEST_CASE("physics divergence ends the episode truncated with info physics_diverged") {
  for (auto fault : {TaskEnv::Fault::kHugeForce, TaskEnv::Fault::kNanQpos}) {
    auto e = test::make_env("lift_cube.yaml");
    e->reset(0);
    auto ok = e->step(test::action({0, 0, 0, 0, 0, 0, -1}));
    CHECK(!ok.info.at("physics_diverged").as_bool());
    e->inject_fault(fault);
    auto s = e->step(test::action({0, 0, 0, 0, 0, 0, -1}));
    CHECK(s.truncated);
    CHECK(!s.terminated);
    CHECK(s.info.at("physics_diverged").as_bool());
    CHECK(!s.info.at("success").as_bool());
    CHECK(!s.obs.at("ee_pos").as_array().has_non_finite());
    CHECK_THROWS_AS(e->step(test::action({0, 0, 0, 0, 0, 0, 0})), Error);
    e->reset(1);  // a new episode runs normally
    CHECK(!e->step(test::action({0, 0, 0, 0, 0, 0, 0})).info.at("physics_diverged").as_bool());
  }
}

TEST_CASE("MuJoCo errors become a2w::Error at the guarded boundary, warnings are recorded") {
  CHECK_THROWS_WITH_AS(guarded_mujoco_call(
                           "test call", [](void*) { mju_error("boom from inside MuJoCo"); }, nullptr),
                       doctest::Contains("test call: MuJoCo error: boom from inside MuJoCo"), Error);
  // The boundary is reusable after an error.
  int x = 0;
  guarded_mujoco_call(
      "ok", [](void* p) { *static_cast<int*>(p) = 1; }, &x);
  CHECK(x == 1);
  const long long before = mujoco_warning_count();
  install_mujoco_error_handlers();
  mju_warning("a test warning");
  CHECK(mujoco_warning_count() == before + 1);
  CHECK(recent_mujoco_warnings().back().find("a test warning") != std::string::npos);
  CHECK_THROWS_WITH_AS(load_model_from_xml("<mujoco><worldbody><geom type='box'/></worldbody>", "bad scene"),
                       doctest::Contains("bad scene"), Error);
}

TEST_CASE("erase: the cameras draw neither the robot nor the objects, physics and state are unchanged") {
  auto shown = test::make_env("stack_cubes.yaml", {{"image_size", 32}});
  auto erased = test::make_env("stack_cubes.yaml", {{"image_size", 32}, {"erase", true}});
  auto rs = shown->reset(7), re = erased->reset(7);
  CHECK(!rs.obs.at("agentview_rgb").as_array().equals(re.obs.at("agentview_rgb").as_array()));
  CHECK(rs.info.at("state/vector").as_array().equals(re.info.at("state/vector").as_array()));
  const Array first_shown = rs.obs.at("agentview_rgb").as_array().clone();
  const Array first_erased = re.obs.at("agentview_rgb").as_array().clone();
  const Array first_wrist = re.obs.at("eye_in_hand_rgb").as_array().clone();
  for (int t = 0; t < 4; ++t) {
    const Array act = test::action({0.8f, 0.5f, -0.6f, 0, 0, 0, 1.0f});
    auto ss = shown->step(act), se = erased->step(act);
    CHECK(ss.info.at("state/vector").as_array().equals(se.info.at("state/vector").as_array()));
    CHECK(ss.reward == se.reward);
    // Only the robot and the cubes move in this scene, so with both hidden the agent view stays the same.
    CHECK(se.obs.at("agentview_rgb").as_array().equals(first_erased));
    CHECK(!ss.obs.at("agentview_rgb").as_array().equals(first_shown));
  }
  // The wrist camera moves with the arm: its view of the (empty) table changes.
  CHECK(!erased->step(test::action({0.8f, 0.5f, -0.6f, 0, 0, 0, 1.0f}))
             .obs.at("eye_in_hand_rgb")
             .as_array()
             .equals(first_wrist));
}

TEST_CASE("every built-in task's constraint rows stay far below the model's njmax under random play") {
  // MuJoCo 2.2.2's per-mjData memory grows with the square of njmax, so the scenes ask for little (800 rows);
  // random play, the most contacts the tests can provoke, must leave at least two thirds of it unused.
  env::Rng rng(17);
  for (const char* file : test::kBuiltinFiles) {
    CAPTURE(file);
    auto env = test::make_env(file, {{"render", false}});
    int most = 0;
    for (int episode = 0; episode < 4; ++episode) {
      env->reset(static_cast<std::uint64_t>(episode));
      for (int t = 0; t < 80; ++t) {
        const auto s = env->step(env->spec().action_space->sample(rng).as_array());
        most = std::max(most, env->data()->maxuse_efc);
        if (s.terminated || s.truncated) break;
      }
    }
    CAPTURE(most);
    CHECK(most > 0);
    CHECK(most * 3 < env->model()->njmax);
  }
}
