// Third-party MJCF models in task files: an arm other than the default one (tests/tasks/assets/arm6), and
// fixtures and objects included by path, referred to by their bodies, joints and sites.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "a2w/env/hdf5_reader.h"
#include "a2w/env/record_episode.h"
#include "a2w/tasks/expert.h"
#include "a2w/tasks/predicate.h"
#include "a2w/tasks/scene.h"
#include "a2w/tasks/task_env.h"
#include "a2w/tasks/task_file.h"
#include "task_test_util.h"

using namespace a2w;
using namespace a2w::tasks;
namespace fs = std::filesystem;

namespace {

std::string asset(const std::string& rel) {
  return std::string(A2W_SOURCE_DIR) + "/tests/tasks/assets/" + rel;
}

// A scratch folder for task and model files written by a test.
struct Scratch {
  fs::path dir;
  explicit Scratch(const std::string& name) : dir(fs::temp_directory_path() / ("a2w_test_" + name)) {
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  ~Scratch() { fs::remove_all(dir); }
  std::string write(const std::string& file, const std::string& text) const {
    std::ofstream(dir / file) << text;
    return (dir / file).string();
  }
};

// Runs the clean expert for one episode; returns whether it succeeded.
bool expert_episode(TaskEnv& e, std::uint64_t seed) {
  e.reset(seed);
  ExpertState s;
  while (true) {
    const auto a = expert_action_clean(e, s);
    const auto r = e.step(env::Array::from(std::vector<float>(a.begin(), a.end()), {7}));
    if (r.terminated || r.truncated) return r.info.at("success").as_bool();
  }
}

// A fixture model written in degrees (MuJoCo's default) with a hinged lid, a site and its own defaults.
constexpr const char* kBoxModel = R"(<mujoco model="lidbox">
  <default>
    <geom rgba="0.6 0.4 0.2 1"/>
    <default class="wall"><geom type="box" size="0.06 0.005 0.03"/></default>
  </default>
  <worldbody>
    <body name="box" pos="0 0 0" euler="0 0 30">
      <geom name="floor" type="box" pos="0 0 0.005" size="0.06 0.06 0.005"/>
      <geom class="wall" pos="0 0.055 0.035"/>
      <geom class="wall" pos="0 -0.055 0.035"/>
      <site name="centre" pos="0 0 0.01" size="0.005"/>
      <body name="lid" pos="-0.06 0 0.065">
        <joint name="hinge" type="hinge" axis="0 1 0" limited="true" range="-90 10" ref="5"/>
        <geom name="lid_plate" type="box" pos="0.06 0 0.003" size="0.06 0.06 0.003" mass="0.05"/>
      </body>
    </body>
  </worldbody>
</mujoco>
)";

// A free object model: a mug-like cylinder with a handle, origin at its bottom centre.
constexpr const char* kMugModel = R"(<mujoco model="mug">
  <compiler angle="radian"/>
  <worldbody>
    <body name="mug">
      <freejoint/>
      <geom name="body" type="cylinder" pos="0 0 0.04" size="0.03 0.04" mass="0.15" rgba="0.9 0.9 0.95 1"/>
      <geom name="handle" type="box" pos="0.038 0 0.04" size="0.008 0.005 0.02" mass="0.01"/>
      <site name="rim" pos="0 0 0.08" size="0.004"/>
    </body>
  </worldbody>
</mujoco>
)";

}  // namespace

TEST_CASE("a task can use its own arm: arm6 (6 joints, two gripper servos, its wrist camera)") {
  const TaskDef def = load_task_file(asset("arm6/lift_cube_arm6.yaml"));
  REQUIRE(def.robot);
  auto e = std::make_unique<TaskEnv>(def, TaskEnvOptions::from_dict({{"render", false}}), "test/arm6");
  const RobotIds& r = e->compiled().robot;
  CHECK(r.n_arm == 6);
  CHECK(r.gripper_actuators.size() == 2);
  CHECK(std::string(mj_id2name(e->model(), mjOBJ_CAMERA, e->eye_in_hand_camera_id())) == "robot/wrist_cam");
  CHECK(std::string(mj_id2name(e->model(), mjOBJ_SITE, r.grip_site)) == "robot/tcp");
  CHECK(std::string(mj_id2name(e->model(), mjOBJ_JOINT, r.finger_joint[0])) == "robot/left");
  // The default arm is not in the scene.
  CHECK(mj_name2id(e->model(), mjOBJ_JOINT, "joint1") < 0);
  const auto reset = e->reset(0);
  // joint_states keeps the conventions' width: the seventh entry is padding (0, masked in the state).
  const auto& js = reset.obs.at("joint_states").as_array();
  CHECK(js.shape() == env::Shape{7});
  CHECK(js.data<float>()[6] == 0.0f);
  CHECK(reset.info.at("state/mask").as_array().data<float>()[6] == 0.0f);
  CHECK(reset.info.at("state/mask").as_array().data<float>()[5] == 1.0f);
  // At home the tool points down, above the table in front of the base.
  const Vec3 tcp = e->view().tcp();
  CHECK(tcp[2] > 0.2);
  CHECK(std::abs(tcp[0] + 0.05) < 0.03);
  CHECK(e->view().tcp_xmat()[8] < -0.99);
  CHECK(e->success_now() == false);
  // Its elements are entities: robot.<name>.
  const Predicate p(parse_predicate("not(touching(robot.palm, table))", {}, def), def);
  CHECK(p.evaluate_now(e->view()));
}

TEST_CASE("the arm6 task's waypoint expert lifts the cube") {
  const TaskDef def = load_task_file(asset("arm6/lift_cube_arm6.yaml"));
  TaskEnv e(def, TaskEnvOptions::from_dict({{"render", false}}), "test/arm6");
  int ok = 0;
  for (std::uint64_t seed = 0; seed < 6; ++seed) ok += expert_episode(e, seed);
  MESSAGE("arm6 expert: " << ok << "/6");
  CHECK(ok >= 5);
}

TEST_CASE("the arm6 task renders both cameras, the wrist camera moving with the hand") {
  const TaskDef def = load_task_file(asset("arm6/lift_cube_arm6.yaml"));
  TaskEnv e(def, TaskEnvOptions::from_dict({{"image_size", 64}}), "test/arm6");
  const auto r = e.reset(1);
  const auto& wrist = r.obs.at("eye_in_hand_rgb").as_array();
  const auto& agent = r.obs.at("agentview_rgb").as_array();
  CHECK(wrist.shape() == env::Shape{64, 64, 3});
  CHECK(!wrist.equals(agent));
  const auto s = e.step(test::action({0, 0, -1, 0, 0, 0, -1}));
  CHECK(!s.obs.at("eye_in_hand_rgb").as_array().equals(wrist));
}

TEST_CASE("an included fixture in degrees compiles as MuJoCo compiles the file alone") {
  Scratch s("lidbox");
  const std::string model = s.write("lidbox.xml", kBoxModel);
  const std::string task = s.write("t.yaml", R"yaml(name: LidBox
horizon: 20
include:
  - {name: box, file: lidbox.xml, x: 0.1, y: 0.05}
success: "joint_open(box.hinge, 0.5)"
reward: [{term: joint, joint: box.hinge, from: 0, to: 1}, {term: reach, object: box.centre}]
expert: [{move_above: {target: box.centre, height: 0.1}}]
)yaml");
  const TaskDef def = load_task_file(task);
  TaskEnv e(def, TaskEnvOptions::from_dict({{"render", false}}), "test/lidbox");
  char err[512] = {0};
  mjModel* alone = mj_loadXML(model.c_str(), nullptr, err, sizeof err);
  REQUIRE_MESSAGE(alone, err);
  const mjModel* m = e.model();
  for (const char* name : {"box", "lid"}) {
    const int a = mj_name2id(alone, mjOBJ_BODY, name);
    const int b = mj_name2id(m, mjOBJ_BODY, (std::string("box/") + name).c_str());
    REQUIRE(a >= 0);
    REQUIRE(b >= 0);
    for (int k = 0; k < 4; ++k)
      CHECK(m->body_quat[4 * b + k] == doctest::Approx(alone->body_quat[4 * a + k]).epsilon(1e-9));
  }
  const int ja = mj_name2id(alone, mjOBJ_JOINT, "hinge"), jb = mj_name2id(m, mjOBJ_JOINT, "box/hinge");
  CHECK(m->jnt_range[2 * jb] == doctest::Approx(alone->jnt_range[2 * ja]));
  CHECK(m->jnt_range[2 * jb + 1] == doctest::Approx(alone->jnt_range[2 * ja + 1]));
  CHECK(m->qpos0[m->jnt_qposadr[jb]] == doctest::Approx(alone->qpos0[alone->jnt_qposadr[ja]]));
  // Its default class stays its own: the walls got their size, the scene's geoms are untouched.
  const int wall = m->body_geomadr[mj_name2id(m, mjOBJ_BODY, "box/box")] + 1;
  CHECK(m->geom_size[3 * wall] == doctest::Approx(0.06));
  // A fixture's colliding geoms take the fixture collision bits.
  CHECK(m->geom_contype[wall] == 8);
  mj_deleteModel(alone);
  // Placed where the task says (the wrapper is a mocap body), its joint reads through joint_value.
  e.reset(0);
  const Vec3 c = e.view().point({EntityRef::Kind::kElement, def.element_index(0, "centre")});
  CHECK(c[0] == doctest::Approx(0.1).epsilon(0.01));
  CHECK(c[1] == doctest::Approx(0.05).epsilon(0.01));
  const auto hinge = EntityRef{EntityRef::Kind::kElement, def.element_index(0, "hinge")};
  e.data()->qpos[e.compiled().elements[static_cast<std::size_t>(hinge.index)].qpos] = 0.8;
  mj_forward(e.model(), e.data());
  CHECK(e.success_now());
  CHECK(e.view().joint_value(hinge) == doctest::Approx(0.8));
}

TEST_CASE("an included object model rests on the table, is placed per seed and is part of the state") {
  Scratch s("mug");
  s.write("mug.xml", kMugModel);
  const std::string task = s.write("t.yaml", R"yaml(name: MugLift
horizon: 60
include:
  - {name: mug, file: mug.xml, kind: object, x: [-0.1, 0.1], y: [-0.1, 0.1], yaw: [-1, 1]}
success: "held(2, lifted(mug, 0.05))"
reward: [{term: lift, object: mug, height: 0.05}, {term: grasp, object: mug.body}]
expert:
  - move_above: {target: mug.rim, height: 0.05, gripper: -1}
  - descend: {target: mug.rim, offset: [0, 0, -0.03]}
  - grasp
  - lift: {height: 0.2}
)yaml");
  const TaskDef def = load_task_file(task);
  TaskEnv e(def, TaskEnvOptions::from_dict({{"render", false}}), "test/mug");
  const auto r0 = e.reset(0);
  const EntityRef mug{EntityRef::Kind::kInclude, 0};
  CHECK(std::abs(e.view().bottom(mug)) < 0.003);  // resting: its lowest point on the table
  const Vec3 p0 = e.view().point(mug);
  e.reset(1);
  const Vec3 p1 = e.view().point(mug);
  CHECK((p0[0] != p1[0] || p0[1] != p1[1]));
  CHECK(!e.success_now());
  // The state carries its pose like an object's.
  const auto& poses = r0.info.at("state/object_poses").as_array();
  CHECK(poses.shape() == env::Shape{1, 7});
  CHECK(poses.data<float>()[0] == doctest::Approx(p0[0]).epsilon(1e-4));
  CHECK(e.spec().metadata.at("object_names").as_list().at(0).as_string() == "mug");
  CHECK(r0.info.at("state/mask").as_array().data<float>()[15] == 1.0f);
  // The expert grasps it by its rim and lifts it.
  int ok = 0;
  for (std::uint64_t seed = 0; seed < 3; ++seed) ok += expert_episode(e, seed);
  MESSAGE("mug expert: " << ok << "/3");
  CHECK(ok >= 2);
}

TEST_CASE("a task with a third-party model records its episodes (HDF5, LIBERO layout)") {
  Scratch s("record_arm6");
  const TaskDef def = load_task_file(asset("arm6/lift_cube_arm6.yaml"));
  env::RecordEpisodeOptions ro;
  ro.folder = s.dir / "demos";
  ro.prefix = "arm6";
  ro.env_id = "user/LiftCubeArm6-v0";
  {
    env::RecordEpisode rec(std::make_unique<TaskEnv>(def, TaskEnvOptions::from_dict({{"image_size", 32}}),
                                                     "user/LiftCubeArm6-v0"),
                           ro);
    auto& task = dynamic_cast<TaskEnv&>(rec.unwrapped());
    for (std::uint64_t seed = 0; seed < 2; ++seed) {
      rec.reset(seed);
      ExpertState st;
      while (true) {
        const auto a = expert_action_clean(task, st);
        const auto r = rec.step(env::Array::from(std::vector<float>(a.begin(), a.end()), {7}));
        if (r.terminated || r.truncated) break;
      }
    }
    rec.close();
  }
  const fs::path file = s.dir / "demos" / "arm6_00000.hdf5";
  REQUIRE(fs::exists(file));
  env::DatasetReader reader(file.string());
  REQUIRE(reader.demo_names().size() == 2);
  CHECK(reader.has("demo_0", "obs/eye_in_hand_rgb"));
  CHECK(reader.has("demo_0", "state/vector"));
  CHECK(reader.read("demo_0", "obs/joint_states").shape().back() == 7);
}
