// The predicate language evaluated on hand-built states.
#include <doctest/doctest.h>

#include "a2w/tasks/predicate.h"
#include "task_test_util.h"

using namespace a2w;
using namespace a2w::tasks;

namespace {

// Evaluates `text` on the env's current state (no held() counters).
bool holds(TaskEnv& e, const std::string& text) {
  const Predicate p(parse_predicate(text, {"test", 1, 1}, e.task()), e.task());
  return p.evaluate_now(e.view());
}

void place(TaskEnv& e, int object, double x, double y, double z) {
  mjtNum* q = e.data()->qpos + e.compiled().objects[static_cast<std::size_t>(object)].qpos;
  q[0] = x, q[1] = y, q[2] = z, q[3] = 1, q[4] = q[5] = q[6] = 0;
  mj_forward(e.model(), e.data());
}

}  // namespace

TEST_CASE("lifted, inside, near, gripper_open on a hand-built state") {
  auto e = test::make_env("pick_place_bin.yaml");
  e->reset(0);
  const Vec3 bin = e->view().point({EntityRef::Kind::kFixtureBase, 0});
  place(*e, 0, bin[0], bin[1], 0.035);
  CHECK(holds(*e, "inside(cube, bin)"));
  CHECK(!holds(*e, "lifted(cube, 0.05)"));
  CHECK(holds(*e, "lifted(cube, 0.005)"));  // the bin floor is 1 cm thick
  place(*e, 0, bin[0] + 0.2, bin[1], 0.022);
  CHECK(!holds(*e, "inside(cube, bin)"));
  place(*e, 0, -0.1, 0.05, 0.3);
  CHECK(holds(*e, "lifted(cube, 0.2)"));
  CHECK(holds(*e, "not(inside(cube, bin))"));
  const Vec3 tcp = e->view().tcp();
  place(*e, 0, tcp[0] + 0.01, tcp[1], tcp[2]);
  CHECK(holds(*e, "near(tcp, cube, 0.02)"));
  CHECK(!holds(*e, "near(tcp, cube, 0.005)"));
  CHECK(holds(*e, "gripper_open"));
  for (int i = 0; i < 2; ++i)
    e->data()->qpos[e->compiled().robot.finger_qpos[static_cast<std::size_t>(i)]] = 0.01;
  CHECK(!holds(*e, "gripper_open()"));
  CHECK(holds(*e, "any(gripper_open, true)"));
  CHECK(!holds(*e, "all(true, false)"));
}

TEST_CASE("on_top and touching on a hand-built stack") {
  auto e = test::make_env("stack_cubes.yaml");
  e->reset(0);
  place(*e, 1, 0.0, 0.1, 0.025);
  place(*e, 0, 0.0, 0.1, 0.025 + 0.025 + 0.02);
  CHECK(holds(*e, "on_top(cube_a, cube_b)"));
  CHECK(!holds(*e, "on_top(cube_b, cube_a)"));
  place(*e, 0, 0.03, 0.1, 0.07);  // overhanging past cube_b's face
  CHECK(!holds(*e, "on_top(cube_a, cube_b)"));
  place(*e, 0, 0.0, 0.1, 0.12);  // hovering
  CHECK(!holds(*e, "on_top(cube_a, cube_b)"));
  // touching needs contacts: let the physics run with cube_b resting on the table.
  place(*e, 0, -0.15, -0.15, 0.02);
  e->step(test::action({0, 0, 0, 0, 0, 0, -1}));
  CHECK(holds(*e, "touching(cube_b, table)"));
  CHECK(!holds(*e, "touching(cube_a, cube_b)"));
  CHECK(!holds(*e, "grasped(cube_a)"));
}

TEST_CASE("joint_open and joint_closed read the fixture joints") {
  auto e = test::make_env("close_drawer.yaml");
  e->reset(0);
  CHECK(holds(*e, "joint_open(drawer, 0.15)"));
  e->data()->qpos[e->compiled().fixtures[0].qpos] = 0.005;
  mj_forward(e->model(), e->data());
  CHECK(holds(*e, "joint_closed(drawer, 0.015)"));
  auto b = test::make_env("press_button.yaml");
  b->reset(0);
  CHECK(!holds(*b, "joint_closed(button, -0.009)"));
}

TEST_CASE("held(k, p) counts consecutive steps") {
  auto e = test::make_env("lift_cube.yaml");
  e->reset(0);
  const Predicate p(parse_predicate("held(3, lifted(cube, 0.1))", {}, e->task()), e->task());
  std::vector<int> counters(static_cast<std::size_t>(p.held_slots()), 0);
  place(*e, 0, 0, 0, 0.3);
  CHECK(!p.evaluate(e->view(), counters));
  CHECK(!p.evaluate(e->view(), counters));
  CHECK(p.evaluate(e->view(), counters));
  place(*e, 0, 0, 0, 0.025);
  CHECK(!p.evaluate(e->view(), counters));
  CHECK(counters[0] == 0);
}

TEST_CASE("predicate text round-trips and reports bad arguments") {
  const TaskDef def = load_task_file(test::defs_dir() + "/pick_place_bin.yaml");
  const std::string text =
      "held(3, all(inside(cube, bin), not(grasped(cube)), any(gripper_open, near(tcp, cube, 0.1))))";
  CHECK(predicate_to_string(parse_predicate(text, {}, def)) == text);
  CHECK_THROWS_WITH_AS(parse_predicate("inside(bin, cube)", {"f.yaml", 3, 10}, def),
                       doctest::Contains("f.yaml:3:17: success predicate: expected an object"),
                       InvalidArgument);
  CHECK_THROWS_WITH_AS(parse_predicate("lifted(cube)", {"f.yaml", 1, 1}, def),
                       doctest::Contains("expected ','"), InvalidArgument);
  CHECK_THROWS_WITH_AS(parse_predicate("held(0, true)", {"f.yaml", 1, 1}, def),
                       doctest::Contains("whole number of steps"), InvalidArgument);
  CHECK_THROWS_WITH_AS(parse_predicate("joint_open(bin, 0.1)", {"f.yaml", 1, 1}, def),
                       doctest::Contains("fixture with a joint"), InvalidArgument);
}
