// Perturbations: what-if variants declared in the task file, laid over the task, read and checked as tasks of
// their own; a seed draws the same initial state in a variant except what it changes.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <string>

#include "a2w/env/action_noise.h"
#include "a2w/env/registry.h"
#include "a2w/tasks/task_env.h"
#include "a2w/tasks/task_file.h"
#include "a2w/tasks/tasks.h"
#include "task_test_util.h"

using namespace a2w;
using namespace a2w::tasks;

namespace {

const char* kTask = R"yaml(name: Mini
horizon: 20
instruction: "push the {cube.color} cube"
objects:
  - {name: cube, colors: [red, blue], x: [-0.1, 0.1], y: [-0.1, 0.1], yaw: [-0.5, 0.5]}
fixtures:
  - {name: goal, type: region, x: [0.0, 0.1], y: [0.3, 0.35]}
success: "inside(cube, goal)"
expert:
  - push: {target: cube, to: goal}
perturbations:
  - {name: far, description: the cube further away, with: {objects: [{name: cube, x: [0.1, 0.12]}]}}
  - {name: pink, with: {objects: [{name: cube, colors: [pink]}]}}
  - {name: dim, with: {lighting: {brightness: 0.3}}}
  - {name: shaky, with: {cameras: {agentview: {jitter: 0.05}}}}
  - {name: can, with: {objects: [{name: can, shape: cylinder, size: [0.02, 0.03], colors: [gray],
                                   x: [-0.2, 0.2], y: [-0.3, 0.3]}]}}
  - {name: noisy, with: {action_noise: 0.5}}
)yaml";

std::string errors_of(const std::string& text) {
  try {
    parse_task(text, "mini.yaml");
  } catch (const InvalidArgument& e) {
    return e.what();
  }
  return "";
}

std::string with_perturbations(const std::string& list) {
  std::string s = kTask;
  return s.substr(0, s.find("perturbations:")) + "perturbations:\n" + list;
}

std::unique_ptr<TaskEnv> env_of(const TaskDef& def, env::Dict options = {{"render", false}}) {
  return std::make_unique<TaskEnv>(def, TaskEnvOptions::from_dict(options), "test/Mini-v0");
}

std::vector<float> pose(env::ResetResult& r, int object) {
  const env::Array& a = r.info.at("state/object_poses").as_array();
  return std::vector<float>(a.data<float>() + 7 * object, a.data<float>() + 7 * object + 7);
}

double mean_of(const env::Array& img) {
  double s = 0;
  for (std::int64_t i = 0; i < img.size(); ++i) s += img.data<std::uint8_t>()[i];
  return s / static_cast<double>(img.size());
}

}  // namespace

TEST_CASE("perturbations: each variant changes what it says and nothing else") {
  const TaskDef base = parse_task(kTask, "mini.yaml");
  REQUIRE(base.perturbations.size() == 6);
  CHECK(base.perturbations[0].name == "far");
  CHECK(base.perturbations[0].description == "the cube further away");
  CHECK(base.perturbations[0].loc.line == 12);

  const TaskDef far = perturb_task(base, "far");
  CHECK(far.perturbation == "far");
  CHECK(far.perturbations.empty());
  CHECK(far.objects[0].x == Vec2{0.1, 0.12});
  CHECK(far.objects[0].y == base.objects[0].y);  // the rest of the entry stays
  CHECK(far.objects[0].colors.size() == 2);
  CHECK(far.source != base.source);  // another compiled model
  CHECK(far.success_text == base.success_text);

  CHECK(perturb_task(base, "pink").objects[0].colors[0].name == "pink");
  CHECK(perturb_task(base, "dim").lighting.brightness == 0.3);
  CHECK(perturb_task(base, "shaky").cameras.at(0).jitter == 0.05);
  CHECK(perturb_task(base, "noisy").action_noise == 0.5);
  const TaskDef can = perturb_task(base, "can");
  REQUIRE(can.objects.size() == 2);
  CHECK(can.objects[1].name == "can");
  CHECK(can.objects[1].drawn_last);
  CHECK_FALSE(can.objects[0].drawn_last);

  try {
    perturb_task(base, "dark");
    FAIL("expected an error");
  } catch (const InvalidArgument& e) {
    const std::string m = e.what();
    CHECK(m.find("unknown perturbation 'dark'") != std::string::npos);
    CHECK(m.find("far, pink, dim, shaky, can, noisy") != std::string::npos);
  }
  CHECK_THROWS_AS(perturb_task(far, "pink"), InvalidArgument);  // a variant declares none of its own
}

TEST_CASE("perturbations: a broken variant is reported where the file says it") {
  // Off the table: the error points into the `with` part, prefixed with the variant's name.
  std::string e =
      errors_of(with_perturbations("  - {name: off, with: {objects: [{name: cube, x: [0.9, 1.0]}]}}\n"));
  CHECK(e.find("mini.yaml:12:") != std::string::npos);
  CHECK(e.find("perturbation 'off'") != std::string::npos);
  e = errors_of(with_perturbations("  - {name: renamed, with: {name: Other}}\n"));
  CHECK(e.find("cannot change 'name'") != std::string::npos);
  e = errors_of(with_perturbations("  - {name: nothing}\n"));
  CHECK(e.find("expected 'with'") != std::string::npos);
  e = errors_of(with_perturbations(
      "  - {name: a, with: {action_noise: 0.1}}\n  - {name: a, with: {action_noise: 0.2}}\n"));
  CHECK(e.find("declared twice") != std::string::npos);
  e = errors_of(with_perturbations("  - {name: loud, with: {action_noise: 5}}\n"));
  CHECK(e.find("expected action_noise in [0, 2]") != std::string::npos);
  e = errors_of(with_perturbations("  - {name: bright, with: {lighting: {brightnes: 2}}}\n"));
  CHECK(e.find("did you mean 'brightness'") != std::string::npos);
  // The task itself still reads when it has no perturbations list.
  CHECK(errors_of(std::string(kTask).substr(0, std::string(kTask).find("perturbations:"))).empty());
}

TEST_CASE("perturbations: a seed draws the same initial state in a variant, except what it changes") {
  const TaskDef base = parse_task(kTask, "mini.yaml");
  auto b = env_of(base);
  auto far = env_of(base, {{"render", false}, {"perturbation", "far"}});
  auto can = env_of(base, {{"render", false}, {"perturbation", "can"}});
  auto noisy = env_of(base, {{"render", false}, {"perturbation", "noisy"}});
  CHECK(far->spec().metadata.at("perturbation").as_string() == "far");
  CHECK(noisy->spec().metadata.at("action_noise").as_double() == 0.5);
  CHECK(b->spec().metadata.at("action_noise").as_double() == 0.0);
  for (std::uint64_t seed : {1u, 7u, 42u}) {
    CAPTURE(seed);
    auto rb = b->reset(seed);
    auto rf = far->reset(seed);
    auto rc = can->reset(seed);
    auto rn = noisy->reset(seed);
    const auto pb = pose(rb, 0), pf = pose(rf, 0), pc = pose(rc, 0), pn = pose(rn, 0);
    // The distractor draws from its own stream (the settling physics of a larger model may differ in the
    // last bits).
    for (int i = 0; i < 7; ++i)
      CHECK(pc[static_cast<std::size_t>(i)] ==
            doctest::Approx(pb[static_cast<std::size_t>(i)]).epsilon(1e-4));
    CHECK(pn == pb);  // so does the noise
    CHECK(pf[0] >= 0.1f - 1e-3f);
    CHECK(pf[0] <= 0.12f + 1e-3f);
    CHECK(pf[1] == doctest::Approx(pb[1]).epsilon(1e-6));  // y drawn from the same uniform
    CHECK(b->instruction() == can->instruction());
    CHECK(b->object_colors()[0] == can->object_colors()[0]);
    // The can is on the table, clear of the cube.
    const auto pcan = pose(rc, 1);
    CHECK(std::hypot(pcan[0] - pc[0], pcan[1] - pc[1]) > 0.04);
  }
}

TEST_CASE("perturbations: action noise follows the episode seed, in both envs alike") {
  const TaskDef base = parse_task(kTask, "mini.yaml");
  auto a = env_of(base, {{"render", false}, {"perturbation", "noisy"}});
  auto b = env_of(base, {{"render", false}, {"perturbation", "noisy"}});
  auto clean = env_of(base);
  a->reset(5);
  b->reset(5);
  clean->reset(5);
  const env::Array act = test::action({0.3f, 0.0f, 0.0f, 0, 0, 0, -1});
  env::StepResult ra, rb, rc;
  for (int t = 0; t < 5; ++t) {
    ra = a->step(act);
    rb = b->step(act);
    rc = clean->step(act);
  }
  const env::Array& ea = ra.obs.at("ee_pos").as_array();
  const env::Array& eb = rb.obs.at("ee_pos").as_array();
  const env::Array& ec = rc.obs.at("ee_pos").as_array();
  for (int i = 0; i < 3; ++i) CHECK(ea.data<float>()[i] == eb.data<float>()[i]);
  double diff = 0;
  for (int i = 0; i < 3; ++i) diff += std::abs(ea.data<float>()[i] - ec.data<float>()[i]);
  CHECK(diff > 1e-3);

  // The stream itself: a function of the seed, clipped to [-1, 1].
  env::ActionNoise n1(0.5), n2(0.5);
  n1.reset(9);
  n2.reset(9);
  float x[7] = {0, 0, 0, 0, 0, 0, 1}, y[7] = {0, 0, 0, 0, 0, 0, 1};
  n1.apply(x, 7);
  n2.apply(y, 7);
  for (int i = 0; i < 7; ++i) CHECK(x[i] == y[i]);
  CHECK(x[6] <= 1.0f);
  CHECK(x[0] != 0.0f);
  CHECK_THROWS_AS(env::ActionNoise(-0.1), InvalidArgument);
}

TEST_CASE("perturbations: lighting and camera jitter change the pictures") {
  const TaskDef base = parse_task(kTask, "mini.yaml");
  const env::Dict cams{{"image_size", 32}};
  auto b = env_of(base, cams);
  env::Dict dim_opt = cams, shaky_opt = cams;
  dim_opt["perturbation"] = "dim";
  shaky_opt["perturbation"] = "shaky";
  auto dim = env_of(base, dim_opt);
  auto shaky = env_of(base, shaky_opt);
  auto rb = b->reset(3);
  auto rd = dim->reset(3);
  auto rs = shaky->reset(3);
  const env::Array& ab = rb.obs.at("agentview_rgb").as_array();
  CHECK(mean_of(rd.obs.at("agentview_rgb").as_array()) < 0.8 * mean_of(ab));
  // The jittered camera sees another picture; the wrist camera does not move.
  const env::Array& as = rs.obs.at("agentview_rgb").as_array();
  CHECK(std::memcmp(as.raw(), ab.raw(), ab.nbytes()) != 0);
  const env::Array& wb = rb.obs.at("eye_in_hand_rgb").as_array();
  const env::Array& ws = rs.obs.at("eye_in_hand_rgb").as_array();
  CHECK(std::memcmp(ws.raw(), wb.raw(), wb.nbytes()) == 0);
  // Another seed, another offset; the same seed, the same picture.
  auto rs2 = shaky->reset(4);
  auto rs3 = shaky->reset(3);
  CHECK(std::memcmp(rs3.obs.at("agentview_rgb").as_array().raw(), as.raw(), as.nbytes()) == 0);
  (void)rs2;
}

TEST_CASE("perturbations: every variant of the built-in tasks makes and resets") {
  register_tasks();
  int variants = 0;
  for (const char* f : test::kBuiltinFiles) {
    const TaskDef def = load_task_file(test::defs_dir() + "/" + f);
    for (const auto& p : def.perturbations) {
      CAPTURE(f);
      CAPTURE(p.name);
      auto e = test::make_env(f, {{"render", false}, {"perturbation", p.name}});
      auto r = e->reset(11);
      CHECK(r.info.count("state/vector") == 1);
      ++variants;
    }
  }
  CHECK(variants >= 18);  // PushCube, LiftCube and PressButton declare six each
  // Through the registry too, with the same error for an unknown name.
  auto e = a2w::make("a2w/PushCube-v0", {{"render", false}, {"perturbation", "dim_light"}});
  CHECK(e->spec().metadata.at("perturbation").as_string() == "dim_light");
  CHECK_THROWS_WITH_AS(a2w::make("a2w/PushCube-v0", {{"render", false}, {"perturbation", "dark"}}),
                       doctest::Contains("expected one of the file's `perturbations`"), InvalidArgument);
}
