#pragma once
// TaskDef: a task file (tasks/defs/*.yaml, or a user's file) as data, after validation. One interpreter
// (TaskEnv) runs every task; there is no per-task C++. task_file.h documents every key; in short:
//
//   name: LiftCube                       # id "a2w/LiftCube-v0" (built-in) or "user/LiftCube-v0"
//   description: Lift the cube off the table.
//   horizon: 100                         # control steps (20 Hz)
//   instruction: ["lift the {cube.color} cube"]
//   objects:                             # free bodies, randomised per seed
//     - {name: cube, shape: box, size: [0.025, 0.025, 0.025], mass: 0.1,
//        colors: [red, green, blue], x: [-0.1, 0.1], y: [-0.15, 0.15], yaw: [-0.8, 0.8]}
//   fixtures: [...]                      # drawer, button, bin, region, marker
//   success: "held(3, lifted(cube, 0.08))"
//   reward: [{term: reach, object: cube, weight: 0.5}, {term: success, weight: 5}]
//   expert: [{move_above: {target: cube, height: 0.1}}, {descend: {target: cube}}, grasp, {lift: {height:
//   0.2}}]
//
// World frame: origin at the centre of the table top, z up, the robot's base at x = -0.5 facing +x.
// Sizes follow MuJoCo: half extents for boxes, [radius, half height] for cylinders, [radius] for spheres.

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace a2w::tasks {

// Where something was written: "file:line:column" (1-based).
struct SourceLoc {
  std::string file;
  int line = 0;
  int column = 0;
  std::string str() const;
};

using Vec2 = std::array<double, 2>;
using Vec3 = std::array<double, 3>;
using Rgba = std::array<float, 4>;

struct NamedColor {
  std::string name;  // used in instructions: "{cube.color}"
  Rgba rgba{};
};

enum class Shape { kBox, kCylinder, kSphere };

// A free body on the table (a cube, a can, a ball).
struct ObjectDef {
  std::string name;
  Shape shape = Shape::kBox;
  Vec3 size{0.025, 0.025, 0.025};  // see the frame note above; unused entries 0
  double mass = 0.1;
  double friction = 1.0;
  std::vector<NamedColor> colors;  // one drawn per episode
  Vec2 x{0, 0}, y{0, 0};           // centre position range on the table
  Vec2 yaw{0, 0};                  // rad
  SourceLoc loc;

  // Half extents of the axis-aligned box around the object in its own frame.
  Vec3 half_extents() const;
};

enum class FixtureKind {
  kDrawer,  // cabinet with a drawer on a slide joint and a bar handle; opens towards local -x
  kButton,  // push button: a cap on a spring-loaded vertical slide joint
  kBin,     // open box that objects can be dropped into
  kRegion,  // flat visual-only target area on the table
  kMarker,  // visual-only sphere in space (a reach target)
};

// A fixture is welded to the world at a pose drawn per episode (a mocap body), with moving parts inside.
struct FixtureDef {
  std::string name;
  FixtureKind kind = FixtureKind::kRegion;
  Vec2 x{0, 0}, y{0, 0};  // position range of the fixture origin (bottom centre; marker: centre)
  Vec2 z{0, 0};           // marker only: height range of its centre above the table
  Vec2 yaw{0, 0};         // rad; 0 means the drawer opens towards the robot (-x)
  // Kind-specific size: drawer: cabinet half extents [x, y, z]; bin: inner half extents [x, y] and wall
  // height; region: half extents [x, y]; marker: [radius]; button: [cap radius].
  Vec3 size{0, 0, 0};
  Vec2 joint_init{0, 0};  // drawer: initial opening range (m); button: unused
  double travel = 0.0;    // drawer: how far it opens (m); button: how far it can be pressed (m)
  Rgba rgba{0.6f, 0.45f, 0.3f, 1.0f};
  SourceLoc loc;

  // Whether it has a joint (drawer, button) whose position "state/fixture_joints" reports.
  bool has_joint() const { return kind == FixtureKind::kDrawer || kind == FixtureKind::kButton; }
};

// A node of the success predicate language; see predicate.h for the meaning of each operator.
struct PredicateExpr {
  enum class Op {
    kNear,
    kInside,
    kOnTop,
    kLifted,
    kJointOpen,
    kJointClosed,
    kTouching,
    kGripperOpen,
    kGrasped,
    kAll,
    kAny,
    kNot,
    kHeld,
    kTrue,
    kFalse
  };
  Op op = Op::kTrue;
  std::vector<std::string> refs;  // entity names, in argument order
  double value = 0.0;             // distance, height or joint threshold
  int steps = 0;                  // held(k, p)
  std::vector<PredicateExpr> children;
  SourceLoc loc;
};

// One dense reward term; the step reward is the weighted sum of the terms.
struct RewardTermDef {
  enum class Kind {
    kReach,     // 1 - tanh(10 * |tcp - object|)
    kDistance,  // 1 - tanh(10 * |a - b|)
    kLift,      // clip(bottom height of object / height, 0, 1)
    kJoint,     // progress of a fixture joint from `from` to `to`, clipped to [0, 1]
    kGrasp,     // 1 while the object is grasped
    kSuccess,   // 1 while the success predicate holds
  };
  Kind kind = Kind::kSuccess;
  std::string a, b;  // entity names (object, or a/b for distance; joint: the fixture)
  double height = 0.0;
  double from = 0.0, to = 0.0;
  double weight = 1.0;
  SourceLoc loc;
};

// One step of the scripted expert's program. Targets are entity names (see predicate.h); positions are
// those of the entity's reference point. Every step runs closed-loop on the simulator's privileged state
// until it is done (within `tolerance`) or `timeout` control steps passed (then the program goes on).
struct WaypointDef {
  enum class Kind {
    kMoveAbove,  // tool centre point to `height` above the target, keeping the gripper as it is
    kMoveTo,     // to the target plus `offset` (world frame) or `local_offset` (the target's yaw frame)
    kDescend,    // straight down to the target (plus offset) keeping x, y on it
    kGrasp,      // close the gripper and wait until the fingers stop
    kRelease,    // open the gripper and wait until it is open
    kLift,       // straight up to `height` above the table
    kPush,   // push object `target` into region `to` along the line between them, re-approaching as needed
    kPull,   // move along the fixture's opening axis until its joint passes `joint_target`
    kPress,  // press the button `target` down until its joint passes `joint_target`
    kWait,   // hold still for `timeout` steps
  };
  Kind kind = Kind::kMoveTo;
  std::string target;
  std::string to;
  Vec3 offset{0, 0, 0};
  bool local_offset = false;
  double height = 0.1;
  double tolerance = 0.01;
  int timeout = 40;
  double speed = 1.0;             // scale on the action magnitude (0, 1]
  std::optional<double> gripper;  // -1 open .. +1 closed; unset: keep the previous command
  std::optional<double> joint_target;
  std::optional<PredicateExpr> require;  // if false while the step runs: restart the program (regrasp)
  SourceLoc loc;
};

// Camera placement override: a fixed camera at `pos` looking at `lookat`.
struct CameraDef {
  std::string name;  // "agentview" (the only fixed camera that can be moved)
  Vec3 pos{0, 0, 0};
  Vec3 lookat{0, 0, 0};
  double fovy = 45.0;
  SourceLoc loc;
};

struct TaskDef {
  std::string name;
  std::string description;
  std::string file;  // the file it was read from
  int horizon = 100;
  std::vector<std::string> instructions;  // templates
  std::vector<ObjectDef> objects;
  std::vector<FixtureDef> fixtures;
  double min_separation = 0.08;  // between object centres (and from fixtures' footprints)
  PredicateExpr success;
  std::string success_text;  // as written in the file
  std::vector<RewardTermDef> reward;
  std::vector<WaypointDef> expert;
  std::vector<CameraDef> cameras;
  std::string scene_mjcf;  // extra MJCF placed in <worldbody>
  SourceLoc scene_loc;

  // Index of an object / fixture by name, or -1.
  int object_index(const std::string& name) const;
  int fixture_index(const std::string& name) const;
};

}  // namespace a2w::tasks
