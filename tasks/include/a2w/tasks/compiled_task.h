#pragma once
// CompiledTask: a task definition turned into one MuJoCo model plus the indices the interpreter needs. It is
// constant after construction and shared read-only (shared_ptr<const CompiledTask>) by every env of the
// same task file and model options; each env keeps its own mjData.
//
// SceneView answers questions about one state (an mjData of that model) in the task's terms: where an
// entity is, whether two entities touch, whether an object is grasped. Predicates, reward terms, the
// scripted expert and the "state/..." infos all read the simulator through it.
//
// Entities (names usable in predicates, rewards and expert programs):
//   <object>            an object; its point is its centre
//   <fixture>           a fixture; its point: drawer handle, button cap top, bin floor centre, region or
//                       marker centre
//   <fixture>.handle    a drawer's handle (same point as the drawer)
//   <fixture>.base      a fixture's base frame origin (bottom centre)
//   tcp                 the tool centre point between the finger pads (site "grip_site", or the robot's
//                       ee_site)
//   gripper             the fingers and the hand (for touching)
//   table               the table top (point: its centre)
//   <include>           an included model as a whole: its point is its origin (object models: the free
//                       body's origin); it touches with every body of the model
//   <include>.<element> a body, site, geom or joint of an included model, by its name in the model file:
//                       its point is the site's, else the body's, else the geom's, else the joint anchor; a
//                       body touches with its subtree; a hinge or slide joint has a value for joint_open /
//                       joint_closed / the joint reward (rad or m)

#include <mujoco/mujoco.h>

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "a2w/tasks/robot.h"
#include "a2w/tasks/task_def.h"

namespace a2w::tasks {

struct EntityRef {
  enum class Kind { kObject, kFixture, kFixtureBase, kTcp, kGripper, kTable, kInclude, kElement };
  Kind kind = Kind::kTcp;
  int index = -1;  // object, fixture, include, or element (TaskDef::elements) index
};

// Parses an entity name against a task; false when the name is unknown.
bool parse_entity(const TaskDef& task, const std::string& name, EntityRef& out);
// Every entity name of a task (for "known: ..." in error messages).
std::vector<std::string> entity_names(const TaskDef& task);
// What an entity can stand for, from the task definition alone (before compiling): something that moves as
// a rigid body (objects, included models, their bodies, geoms and sites), and something with a joint value
// (drawers, buttons, hinge and slide joints of included models).
bool is_body_like(const TaskDef& task, const EntityRef& e);
bool is_joint_like(const TaskDef& task, const EntityRef& e);

// Options that change the compiled model (and so which shared model an env gets).
struct ModelOptions {
  int offscreen_width = 128;  // visual/global offwidth: at least the largest rendered image
  int offscreen_height = 128;
  bool operator<(const ModelOptions& o) const {
    return offscreen_width != o.offscreen_width ? offscreen_width < o.offscreen_width
                                                : offscreen_height < o.offscreen_height;
  }
};

// World-frame box the controller keeps the tool centre point in.
struct Workspace {
  Vec3 lo{-0.32, -0.42, 0.008};
  Vec3 hi{0.32, 0.42, 0.55};
};

struct ObjectIds {
  int body = -1, geom = -1, qpos = -1, dof = -1;
  Vec3 half{0, 0, 0};  // half extents in the object's frame
};

struct FixtureIds {
  int body = -1;                        // the mocap body (base)
  int mocap = -1;                       // mocap index
  int joint = -1, qpos = -1, dof = -1;  // drawer slide / button slide, else -1
  int point_site = -1;                  // the entity's reference point (handle, cap top, floor centre, ...)
  int moving_body = -1;                 // drawer or button cap body, else -1
  int first_body = -1, last_body = -1;  // every body of the fixture
};

struct IncludeIds {
  int body = -1;                        // the model's root: its wrapper body, or an object model's free body
  int mocap = -1;                       // fixture models: the wrapper's mocap index
  int qpos = -1, dof = -1;              // object models: the free joint
  int first_body = -1, last_body = -1;  // every body of the model (a contiguous range: MuJoCo numbers depth
                                        // first)
  double radius = 0.0;                  // footprint: how far its colliding geoms reach from its origin in x-y
  double rest_z = 0.0;                  // object models: origin height when resting upright on the table
};

// An include element's ids: whichever of a body, site, geom and joint carries that name (-1 otherwise).
struct ElementIds {
  int body = -1, site = -1, geom = -1, joint = -1;
  int last_body = -1;  // the body's subtree is [body, last_body]
  int qpos = -1;       // the joint's qpos address
};

// A free body whose pose is part of the task's state: the objects, then the included object models.
struct FreeBody {
  std::string name;
  int body = -1, qpos = -1;
};

struct CompiledTask {
  TaskDef def;
  ModelOptions options;
  std::string mjcf;  // the generated scene, for debugging ("a2w tasks show --mjcf")
  std::shared_ptr<const mjModel> model;
  RobotIds robot;
  std::vector<ObjectIds> objects;
  std::vector<FixtureIds> fixtures;
  std::vector<IncludeIds> includes;
  std::vector<ElementIds> elements;  // parallel to def.elements
  std::vector<FreeBody> free_bodies;
  int table_geom = -1;
  int agentview_camera = -1;
  int eye_in_hand_camera = -1;
  int scene_fragment_line = 0;  // line of mjcf where the task's `scene` fragment starts (0: none)
  int substeps = 25;            // physics steps per 20 Hz control step
  Workspace workspace;
};

// Compiles (or returns the cached) model of `def` with `options`. The cache key is the task file's path and
// content with the options, so envs of one task share one model. Throws TaskFileError when the scene does
// not compile (MuJoCo's message at the line of the task file's `scene` fragment, or of the included model
// file, where it can be told) or the robot does not fit (robot.h).
std::shared_ptr<const CompiledTask> compile_task(const TaskDef& def, const ModelOptions& options);

// Read-only questions about one state of a compiled task.
class SceneView {
 public:
  SceneView(const CompiledTask& task, const mjData* data) : t_(task), d_(data) {}

  Vec3 point(const EntityRef& e) const;
  Vec3 tcp() const;
  // Rotation matrix (row-major 3x3) of the tool centre point frame.
  const mjtNum* tcp_xmat() const;
  // Sum of both finger openings (0 closed .. 0.08 open).
  double gripper_width() const;
  double joint(int fixture) const;  // fixture joint position (0 if it has none)
  // Object pose: position and quaternion (w, x, y, z).
  Vec3 object_pos(int object) const;
  std::array<double, 4> object_quat(int object) const;
  // Half extent of the object along world z (its current orientation accounted for).
  double object_half_height(int object) const;
  // Height of the object's lowest point above the table top.
  double object_bottom(int object) const;
  // Yaw (rad) of the fixture's frame about world z.
  double fixture_yaw(int fixture) const;

  bool touching(const EntityRef& a, const EntityRef& b) const;
  // Both fingers touch the object.
  bool grasped(int object) const;
  bool inside(int object, int fixture) const;
  bool on_top(int a, int b) const;

  // The same questions for any entity (objects take the paths above, so tasks of objects behave as before).
  // Rotation matrix (row-major 3x3, the frame's axes in world coordinates) of an entity's frame: body, site
  // or geom frame; the tcp's; identity for the table.
  std::array<double, 9> frame(const EntityRef& e) const;
  // Both fingers touch some geom of `e`.
  bool grasped(const EntityRef& e) const;
  // Height above the table of the lowest point of `e`'s colliding geoms (objects: as object_bottom).
  double bottom(const EntityRef& e) const;
  // Height of the highest point of `e`'s colliding geoms.
  double top(const EntityRef& e) const;
  // The value of a joint-like entity (fixture joint, or an included hinge/slide joint).
  double joint_value(const EntityRef& e) const;
  bool inside(const EntityRef& e, int fixture) const;
  // a rests on b: both objects as on_top(int, int); else a's lowest point within 12 mm of b's highest and
  // a's centre above the box around b's colliding geoms.
  bool on_top(const EntityRef& a, const EntityRef& b) const;
  // Whether geom `g` belongs to entity `e` (for contacts).
  bool owns_geom(const EntityRef& e, int g) const;
  // Half extent of geom g's world-aligned bounding box along world axis `axis` (0 x, 1 y, 2 z).
  double geom_extent(int g, int axis) const;

  const CompiledTask& task() const { return t_; }
  const mjData* data() const { return d_; }

 private:
  bool body_in(int body, const EntityRef& e) const;
  const CompiledTask& t_;
  const mjData* d_;
};

}  // namespace a2w::tasks
