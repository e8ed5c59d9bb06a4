#pragma once
// Scene assembly: one MJCF document from a task definition: the table, the robot at the table's edge (the
// default arm, or the task's own model), lights, the two cameras, the task's objects (free bodies) and
// fixtures (mocap bodies, so their pose is drawn per episode in mjData while the model stays shared), its
// included third-party models (mjcf_include.h), and the task's own MJCF fragment.
//
// Element names in the generated model: object bodies/geoms/joints "obj_<name>"; fixture bases
// "fx_<name>", their joints "fx_<name>_joint", moving bodies "fx_<name>_moving", reference-point sites
// "fx_<name>_point"; cameras "agentview" and "eye_in_hand"; table geom "table"; an included model's
// elements "<include>/<name in its file>", inside the wrapper body "inc_<include>" (fixtures: a mocap body;
// the robot: a fixed body at its base), object models' free body directly in the world.
//
// Collision classes (contype / conaffinity): table 1/6, robot 2/13, objects 4/15, fixtures 8/6: the robot
// never collides with itself, fixtures never with the table or each other (they are placed, not simulated).

#include <array>
#include <string>

#include "a2w/tasks/task_def.h"

namespace a2w::tasks {

inline constexpr double kPhysicsTimestep = 0.002;  // s
inline constexpr int kSubsteps = 25;               // 25 x 2 ms = one 20 Hz control step
inline constexpr double kTableHeight = 0.75;       // the floor is this far below the table top (z = 0)
inline constexpr Vec3 kRobotBase{-0.5, 0.0, 0.0};
// Default agentview camera: in front of the table, opposite the robot, looking at the workspace.
inline constexpr Vec3 kAgentviewPos{0.50, 0.0, 0.50};
inline constexpr Vec3 kAgentviewLookat{-0.10, 0.0, 0.08};
inline constexpr double kAgentviewFovy = 52.0;

struct SceneOptions {
  int offscreen_width = 128;
  int offscreen_height = 128;
};

std::string build_scene_mjcf(const TaskDef& task, const SceneOptions& options);

// xyaxes of a MuJoCo camera at `pos` looking at `lookat` with world z up.
std::array<double, 6> camera_xyaxes(const Vec3& pos, const Vec3& lookat);

}  // namespace a2w::tasks
