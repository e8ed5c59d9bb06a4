#pragma once
// TaskDef: a task file (tasks/defs/*.yaml, or a user's file) as data, after validation. One interpreter
// (TaskEnv) runs every task; there is no per-task C++. task_file.h summarises every key and
// docs/authoring.md is the tutorial and full reference; in short:
//
//   name: LiftCube                       # id "a2w/LiftCube-v0" (built-in) or "user/LiftCube-v0"
//   description: Lift the cube off the table.
//   horizon: 100                         # control steps (20 Hz)
//   instruction: ["lift the {cube.color} cube"]
//   objects:                             # free bodies, randomised per seed
//     - {name: cube, shape: box, size: [0.025, 0.025, 0.025], mass: 0.1,
//        colors: [red, green, blue], x: [-0.1, 0.1], y: [-0.15, 0.15], yaw: [-0.8, 0.8]}
//   fixtures: [...]                      # drawer, button, bin, region, marker
//   include: [...]                       # third-party MJCF models (fixtures or objects), by path
//   robot: {...}                         # optional: the task's own arm (an MJCF model)
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

#include "a2w/tasks/diagnostic.h"

namespace a2w::tasks {

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
  // Added by a perturbation (a distractor): its colour and pose come from a stream of their own, drawn after
  // everything else, so every other draw of a seed is the one the task as written makes.
  bool drawn_last = false;
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
    kFalse,
    kCustom,  // a predicate registered in C++ (predicate_registry.h), named by `custom`
  };
  Op op = Op::kTrue;
  std::vector<std::string>
      refs;                    // entity names, in argument order (custom: one per argument, "" for numbers)
  double value = 0.0;          // distance, height or joint threshold
  int steps = 0;               // held(k, p)
  std::string custom;          // kCustom: the registered name
  std::vector<double> values;  // kCustom: one per argument (the numbers; 0 for entities)
  std::vector<PredicateExpr> children;
  SourceLoc loc;
};

// One dense reward term; the step reward is the weighted sum of the terms.
struct RewardTermDef {
  enum class Kind {
    kReach,     // 1 - tanh(10 * |tcp - object|), distance in m
    kDistance,  // 1 - tanh(10 * |a - b|)
    kLift,      // clip(height of the object's lowest point above the table / height, 0, 1)
    kJoint,     // progress of a joint (drawer, button, included hinge/slide) from `from` to `to`, in [0, 1]
    kGrasp,     // 1 while both fingers touch the object
    kSuccess,   // 1 while the success predicate holds
  };
  Kind kind = Kind::kSuccess;
  std::string a, b;  // entity names (object, or a/b for distance; joint: the fixture or included joint)
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

// What an included MJCF model brings, after a2w rewrote it for the scene (mjcf_include.h explains how):
// MJCF text per section of the scene document, with every name prefixed "<include name>/", and the names
// of its elements as written in the model file.
struct IncludedModel {
  std::string asset, default_classes, worldbody, tendon, equality, actuator, sensor, contact;
  std::vector<std::string> bodies, joints, sites, geoms, cameras, actuators;
  std::vector<std::string> joint_types;  // parallel to joints: hinge, slide, ball or free
  std::string root_body;                 // object models: the free body
  std::vector<std::string> files;        // every file read: the model and what it includes
  bool autolimits = false;               // its <compiler autolimits="true">: the scene compiles with it
};

// An external MJCF model (a fixture, an object or a robot) placed into the scene by path.
struct IncludeDef {
  enum class Kind {
    kFixture,  // welded to the world at a pose drawn per episode (a mocap body); inner joints move
    kObject,   // one free body (a <freejoint>), placed like an object per episode
    kRobot,    // the arm (the task's `robot` key)
  };
  std::string name;  // the entity namespace: "<name>" is the whole model, "<name>.<element>" one element
  std::string file;  // as written (relative to the task file)
  std::string path;  // resolved
  Kind kind = Kind::kFixture;
  Vec2 x{0, 0}, y{0, 0}, z{0, 0};  // position ranges of the model's origin (object: of its free body)
  Vec2 yaw{0, 0};                  // rad
  double radius = 0.0;             // footprint radius kept free around it when objects are placed (m)
  IncludedModel model;
  SourceLoc loc;
};

// A named element of an included model that task files may refer to as "<include>.<element>": a body,
// joint, site or geom (one name may be several of them; each use picks what it needs).
struct ElementDef {
  int include = -1;
  std::string name;  // as written in the model file
};

// The arm, when the task brings its own instead of the default Panda-like arm (robot.h). Names are those
// of the robot's model file.
struct RobotDef {
  int include = -1;                            // the include (kind kRobot) holding its model
  std::string ee_site;                         // tool centre point: z along the fingers, fingers open along y
  std::vector<std::string> arm_joints;         // 1 to 7 hinge or slide joints, base to hand
  std::vector<std::string> arm_actuators;      // position servos of the arm joints (default: found by joint)
  std::vector<std::string> gripper_actuators;  // position servos of the gripper, commanded together
  std::vector<std::string> finger_joints;      // the two finger joints (default: from the gripper actuators)
  std::optional<double> gripper_open;          // actuator target when open (default: top of its ctrlrange)
  std::optional<double> gripper_closed;        // ... when closed (default: bottom of its ctrlrange)
  std::string camera = "eye_in_hand";          // the wrist camera
  std::vector<double> home;  // rad (m for slide joints): the reset posture, TCP pointing down
  SourceLoc loc;
};

// Camera placement override: a fixed camera at `pos` looking at `lookat`.
struct CameraDef {
  std::string name;  // "agentview" (the only fixed camera that can be moved)
  Vec3 pos{0.5, 0, 0.5};
  Vec3 lookat{-0.1, 0, 0.08};
  double fovy = 52.0;
  // Per episode the position moves by a uniform offset in [-jitter, jitter] m along each axis (drawn from a
  // stream of its own), still looking at `lookat`: the camera-jitter perturbation.
  double jitter = 0.0;
  SourceLoc loc;
};

// The scene's lights: the key and fill lights and the headlight, their diffuse colour scaled by
// `brightness` and tinted by `color`.
struct LightingDef {
  double brightness = 1.0;
  Rgba color{1, 1, 1, 1};
  SourceLoc loc;
};

// A named variant of the task for what-if sweeps (`a2w whatif`): a part of a task file (`with`) laid over the
// task's own. perturb_task() (task_file.h) builds the variant.
struct PerturbationDef {
  std::string name;
  std::string description;
  SourceLoc loc;
};

struct TaskDef {
  std::string name;
  std::string description;
  std::string file;    // the file it was read from
  std::string source;  // the file's text (so that an edited file never meets a stale compiled model)
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
  LightingDef lighting;
  double action_noise = 0.0;  // std of Gaussian noise on executed actions ([-1, 1] scale; env/action_noise.h)
  std::vector<PerturbationDef> perturbations;  // declared in the file (the variants have none)
  std::string perturbation;                    // the variant's name; "" for the task as written
  std::string scene_mjcf;                      // extra MJCF placed in <worldbody>
  SourceLoc scene_loc;
  int scene_first_line = 0;  // line of the task file where the fragment's first line is (error mapping)
  std::vector<IncludeDef> includes;
  std::vector<ElementDef> elements;  // every referable element of the includes
  std::optional<RobotDef> robot;     // unset: the default arm
  // While a file is read: names of entries that failed to read (an include whose model file is broken, a
  // fixture without a type). References to them are not reported again: the entry's own problem is.
  std::vector<std::string> broken_names;

  // Index of an object / fixture / include / include element by name, or -1.
  int object_index(const std::string& name) const;
  int fixture_index(const std::string& name) const;
  int include_index(const std::string& name) const;
  int element_index(int include, const std::string& element) const;
  int perturbation_index(const std::string& name) const;
};

}  // namespace a2w::tasks
