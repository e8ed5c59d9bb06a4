// Custom predicates registered in C++ and used from task files: checked like built-in operators (arity,
// argument kinds, unknown entities), evaluated on the simulator's state.
#include <doctest/doctest.h>

#include <cmath>

#include "a2w/tasks/predicate.h"
#include "a2w/tasks/predicate_registry.h"
#include "a2w/tasks/task_env.h"
#include "a2w/tasks/task_file.h"
#include "a2w/tasks/validate.h"
#include "task_test_util.h"

using namespace a2w;
using namespace a2w::tasks;

namespace {

// upright(object, max_tilt): the object's z axis within max_tilt (rad) of world z.
void register_upright() {
  if (find_predicate("test_upright")) return;
  register_predicate({.name = "test_upright",
                      .args = {{"object", ArgType::kBody}, {"max_tilt", ArgType::kNumber}},
                      .doc = "the object's z axis is within max_tilt (rad) of world z",
                      .evaluate = [](const SceneView& v, std::span<const PredicateArg> a) {
                        return v.frame(a[0].entity)[8] >= std::cos(a[1].number);
                      }});
}

constexpr const char* kTask = R"yaml(name: KeepUpright
horizon: 30
objects: [{name: cube, x: 0, y: 0}]
fixtures: [{name: goal, type: region, x: 0.2}]
success: "held(2, all(test_upright(cube, 0.2), not(lifted(cube, 0.05))))"
expert: [{move_above: {target: cube, height: 0.1}}]
)yaml";

std::string error_of(const std::string& text) {
  try {
    parse_task(text, "c.yaml");
  } catch (const InvalidArgument& e) {
    return e.what();
  }
  return "";
}

std::string with_success(const std::string& success) {
  std::string s = kTask;
  const auto at = s.find("held(2");
  return s.substr(0, at) + success + s.substr(s.find("\"\n", at));
}

}  // namespace

TEST_CASE("registering: names are checked, built-ins and duplicates refused") {
  register_upright();
  CHECK(find_predicate("test_upright")->signature() == "test_upright(object, max_tilt)");
  CHECK_THROWS_WITH_AS(
      register_predicate(
          {.name = "near", .evaluate = [](const SceneView&, std::span<const PredicateArg>) { return true; }}),
      doctest::Contains("built-in operator"), InvalidArgument);
  CHECK_THROWS_WITH_AS(
      register_predicate({.name = "test_upright",
                          .evaluate = [](const SceneView&, std::span<const PredicateArg>) { return true; }}),
      doctest::Contains("already registered"), InvalidArgument);
  CHECK_THROWS_WITH_AS(
      register_predicate({.name = "Bad-Name",
                          .evaluate = [](const SceneView&, std::span<const PredicateArg>) { return true; }}),
      doctest::Contains("expected a name"), InvalidArgument);
  CHECK_THROWS_WITH_AS(register_predicate({.name = "no_function"}), doctest::Contains("evaluate function"),
                       InvalidArgument);
  const auto names = custom_predicate_names();
  CHECK(std::find(names.begin(), names.end(), "test_upright") != names.end());
}

TEST_CASE("a task file uses a custom predicate, it is evaluated on the state") {
  register_upright();
  const TaskDef def = parse_task(kTask, "c.yaml");
  CHECK(def.success_text == "held(2, all(test_upright(cube, 0.2), not(lifted(cube, 0.05))))");
  TaskEnv e(def, TaskEnvOptions::from_dict({{"render", false}}), "test/upright");
  e.reset(0);
  CHECK(e.success_now());
  // Tip the cube onto its side: no longer upright.
  mjtNum* q = e.data()->qpos + e.compiled().objects[0].qpos;
  q[2] = 0.025;
  q[3] = std::cos(0.785), q[4] = std::sin(0.785), q[5] = 0, q[6] = 0;  // 90 degrees about x
  mj_forward(e.model(), e.data());
  CHECK(!e.success_now());
  // held() counts steps of the whole expression, custom part included.
  e.reset(0);
  const auto s1 = e.step(test::action({0, 0, 0, 0, 0, 0, -1}));
  CHECK(!s1.terminated);
  const auto s2 = e.step(test::action({0, 0, 0, 0, 0, 0, -1}));
  CHECK(s2.terminated);
}

TEST_CASE("custom predicates are checked like built-in operators") {
  register_upright();
  CHECK(
      error_of(with_success("test_upright(cube)"))
          .find("c.yaml:5:11: success predicate: test_upright(object, max_tilt) takes 2 arguments, got 1") ==
      0);
  CHECK(error_of(with_success("test_upright(goal, 0.2)"))
            .find("c.yaml:5:24: success predicate: expected an object (or a body, geom or site of an "
                  "included model) "
                  "for 'object' in test_upright(object, max_tilt), got 'goal'") == 0);
  CHECK(error_of(with_success("test_upright(cube, steep)")).find("expected a number for 'max_tilt'") !=
        std::string::npos);
  CHECK(error_of(with_success("test_uprite(cube, 0.2)")).find("unknown operator 'test_uprite'") !=
        std::string::npos);
  // Every operator, custom ones included, is listed in the message.
  CHECK(error_of(with_success("test_uprite(cube, 0.2)")).find("test_upright") != std::string::npos);
}

TEST_CASE("a task whose custom predicate is not registered in this program fails with a clear message") {
  register_upright();
  const TaskDef def = parse_task(kTask, "c.yaml");
  REQUIRE(unregister_predicate("test_upright"));
  CHECK_THROWS_WITH_AS(TaskEnv(def, TaskEnvOptions::from_dict({{"render", false}}), "x"),
                       doctest::Contains("is not registered in this program"), InvalidArgument);
  const ValidationResult r = validate_task_text(kTask, "c.yaml");
  REQUIRE(!r.ok());
  CHECK(r.diagnostics[0].str().find("c.yaml:5:23: success predicate: unknown operator 'test_upright'") == 0);
  register_upright();
}
