// Task files: every built-in file loads and validates; malformed files fail with file:line and what was
// expected.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "a2w/env/registry.h"
#include "a2w/tasks/predicate.h"
#include "a2w/tasks/tasks.h"
#include "task_test_util.h"

using namespace a2w;
using namespace a2w::tasks;

namespace {

const char* kGood = R"yaml(name: Mini
description: a small task
horizon: 20
instruction: "lift the {cube.color} cube"
objects:
  - {name: cube, shape: box, size: [0.02, 0.02, 0.02], colors: [red, blue], x: [-0.1, 0.1], y: [-0.1, 0.1]}
success: "held(2, lifted(cube, 0.05))"
expert:
  - move_above: {target: cube, height: 0.1}
  - grasp
)yaml";

// Replaces the first occurrence of `from` in kGood.
std::string variant(const std::string& from, const std::string& to) {
  std::string s = kGood;
  const auto at = s.find(from);
  REQUIRE(at != std::string::npos);
  return s.replace(at, from.size(), to);
}

std::string error_of(const std::string& text) {
  try {
    parse_task(text, "mini.yaml");
  } catch (const InvalidArgument& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("every built-in task file loads and validates") {
  for (const char* f : test::kBuiltinFiles) {
    CAPTURE(f);
    const TaskDef def = load_task_file(test::defs_dir() + "/" + f);
    CHECK(!def.name.empty());
    CHECK(def.horizon > 0);
    CHECK(!def.expert.empty());
    CHECK(!def.instructions.empty());
    // The predicate's text round-trips through the parser.
    const PredicateExpr again = parse_predicate(def.success_text, {}, def);
    CHECK(predicate_to_string(again) == def.success_text);
    // And the scene compiles.
    const auto compiled = compile_task(def, {});
    CHECK(compiled->model->nu == 8);
  }
}

TEST_CASE("register_tasks registers every built-in task and describe_task reports it") {
  register_tasks();
  register_tasks();  // idempotent
  for (const char* id :
       {"a2w/Reach-v0", "a2w/PushCube-v0", "a2w/LiftCube-v0", "a2w/PickPlaceBin-v0", "a2w/StackCubes-v0",
        "a2w/OpenDrawer-v0", "a2w/CloseDrawer-v0", "a2w/PressButton-v0"}) {
    CAPTURE(id);
    CHECK(is_registered(id));
  }
  const TaskInfo info = describe_task("a2w/StackCubes-v0");
  CHECK(info.name == "StackCubes");
  CHECK(info.objects.size() == 2);
  CHECK(info.success.find("on_top(cube_a, cube_b)") != std::string::npos);
  CHECK_THROWS_AS(describe_task("a2w/Nope-v0"), NotFound);
  auto env = a2w::make("a2w/LiftCube-v0", {{"render", false}});
  CHECK(env->spec().id == "a2w/LiftCube-v0");
  CHECK(env->spec().max_episode_steps == 100);
}

TEST_CASE("user task files from A2W_TASK_PATH register as user/<Name>-v0, broken ones fail on make") {
  const auto dir = std::filesystem::temp_directory_path() / "a2w_test_user_tasks";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "mini.yaml") << kGood;
  std::ofstream(dir / "broken.yaml") << "name: Broken\nhorizon: [1, 2]\n";
  ::setenv("A2W_TASK_PATH", (std::string("/nonexistent:") + dir.string()).c_str(), 1);
  register_tasks();
  ::unsetenv("A2W_TASK_PATH");
  CHECK(is_registered("user/Mini-v0"));
  auto env = a2w::make("user/Mini-v0", {{"render", false}});
  CHECK(env->spec().max_episode_steps == 20);
  REQUIRE(is_registered("user/broken-v0"));
  try {
    a2w::make("user/broken-v0");
    FAIL("expected an error");
  } catch (const InvalidArgument& e) {
    CHECK(std::string(e.what()).find("broken.yaml:2:") != std::string::npos);
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("a good file parses") {
  const TaskDef def = parse_task(kGood, "mini.yaml");
  CHECK(def.name == "Mini");
  CHECK(def.objects.size() == 1);
  CHECK(def.objects[0].colors.size() == 2);
  CHECK(def.success_text == "held(2, lifted(cube, 0.05))");
}

TEST_CASE("malformed task files name file:line and what was expected") {
  SUBCASE("YAML syntax error") {
    const std::string e = error_of(variant("horizon: 20", "horizon: [20"));
    CHECK(e.find("mini.yaml:") == 0);
    CHECK(e.find("YAML syntax error") != std::string::npos);
  }
  SUBCASE("unknown key") {
    const std::string e = error_of(variant("shape: box,", "shape: box, colour: red,"));
    CHECK(e.find("mini.yaml:6:") == 0);
    CHECK(e.find("unknown key 'colour'") != std::string::npos);
    CHECK(e.find("expected one of: name, shape") != std::string::npos);
  }
  SUBCASE("unknown top-level key") {
    const std::string e = error_of(variant("horizon: 20", "horizon: 20\nhorizn: 5"));
    CHECK(e.find("mini.yaml:4:1: unknown key 'horizn'") == 0);
  }
  SUBCASE("wrong type") {
    const std::string e = error_of(variant("horizon: 20", "horizon: twenty"));
    CHECK(e.find("mini.yaml:3:10: expected a number for the horizon, got 'twenty'") == 0);
  }
  SUBCASE("wrong list length") {
    const std::string e = error_of(variant("size: [0.02, 0.02, 0.02]", "size: [0.02, 0.02]"));
    CHECK(e.find("mini.yaml:6:") == 0);
    CHECK(e.find("expected a list of 3 numbers") != std::string::npos);
  }
  SUBCASE("unknown object in the predicate, with its column") {
    const std::string e = error_of(variant("lifted(cube, 0.05)", "lifted(cub, 0.05)"));
    // The string starts at column 10 (the quote), its text at 11; "cub" is 15 characters in.
    CHECK(e.find("mini.yaml:7:26:") == 0);
    CHECK(e.find("unknown entity 'cub'") != std::string::npos);
    CHECK(e.find("known: cube") != std::string::npos);
  }
  SUBCASE("unknown predicate operator") {
    const std::string e = error_of(variant("lifted(cube, 0.05)", "raised(cube, 0.05)"));
    CHECK(e.find("mini.yaml:7:") == 0);
    CHECK(e.find("unknown operator 'raised'") != std::string::npos);
  }
  SUBCASE("unknown colour") {
    const std::string e = error_of(variant("colors: [red, blue]", "colors: [red, blu]"));
    CHECK(e.find("mini.yaml:6:") == 0);
    CHECK(e.find("unknown colour 'blu'") != std::string::npos);
  }
  SUBCASE("unknown expert step and target") {
    CHECK(error_of(variant("  - grasp", "  - grab")).find("mini.yaml:10:5: unknown expert step 'grab'") == 0);
    CHECK(error_of(variant("target: cube", "target: ball")).find("unknown entity 'ball'") !=
          std::string::npos);
  }
  SUBCASE("unknown instruction placeholder") {
    CHECK(error_of(variant("{cube.color}", "{cube.colour}")).find("mini.yaml:4:") == 0);
  }
  SUBCASE("missing required key") {
    CHECK(error_of(variant("horizon: 20\n", "")).find("expected a 'horizon'") != std::string::npos);
  }
}

TEST_CASE("an unreadable task file is an Error naming the path") {
  CHECK_THROWS_WITH_AS(load_task_file("/nonexistent/task.yaml"), doctest::Contains("/nonexistent/task.yaml"),
                       Error);
}
