#pragma once
// The robot. By default: a 7-DoF arm with Franka Emika Panda kinematics (the body chain of MuJoCo
// Menagerie's panda.xml) built from primitive geoms, with a parallel-jaw gripper, generated as MJCF
// fragments that the scene assembler places into one model. A task may bring its own arm instead (the
// task file's `robot` key, RobotDef in task_def.h): any MJCF arm of 1 to 7 hinge or slide joints driven by
// position servos, with a gripper of two finger joints driven by one or more position servos, and a tool
// centre point site whose z axis points along the fingers and whose y axis is the fingers' closing
// direction (the scripted expert and the controller rely on that frame). Either way, a compiled model is
// resolved back to RobotIds once, and everything else reads the robot through them.
//
// Names of the default arm in the compiled model: joints "joint1".."joint7", "finger_joint1"/"finger_joint2"
// (slide, 0..0.04 m each, coupled by an equality constraint), actuators "act1".."act7" (position servos on
// the arm joints) and "act_gripper" (one position servo on the finger tendon, force-limited), site
// "grip_site" (the tool centre point between the finger pads), camera "eye_in_hand" on the hand. Arm
// gravity is compensated by the env (qfrc_applied = qfrc_bias before each substep) because MuJoCo 2.2.2
// has no gravcomp attribute; the same holds for a task's own arm.
//
// Observations keep the conventions' widths whatever the arm: joint_states has kArmDofs entries (an arm with
// fewer joints is padded with zeros, masked out of the state vector), gripper_states the two finger joints.

#include <mujoco/mujoco.h>

#include <array>
#include <string>
#include <vector>

#include "a2w/tasks/task_def.h"

namespace a2w::tasks {

inline constexpr int kArmDofs = 7;
// Joint limits (rad) of the Panda, joint1..joint7.
inline constexpr std::array<double, kArmDofs> kArmLower = {-2.8973, -1.7628, -2.8973, -3.0718,
                                                           -2.8973, -0.0175, -2.8973};
inline constexpr std::array<double, kArmDofs> kArmUpper = {2.8973, 1.7628, 2.8973, -0.0698,
                                                           2.8973, 3.7525, 2.8973};
// Home posture: gripper pointing straight down, fingers opening along world y, the tool centre point about
// 0.45 m in front of the base and 0.30 m above it (see robot.cpp for how it was found).
extern const std::array<double, kArmDofs> kHomeQpos;
// Each finger travels 0..kFingerTravel metres; the gripper is open at 2 * kFingerTravel.
inline constexpr double kFingerTravel = 0.04;

// MJCF fragments of the robot, to be placed in the matching sections of one <mujoco> document.
struct RobotMjcf {
  std::string default_classes;  // inside <default>
  std::string body;             // inside <worldbody>: the arm on its base
  std::string tendon;           // inside <tendon>
  std::string equality;         // inside <equality>
  std::string actuator;         // inside <actuator>
  std::string contact;          // inside <contact>
};

// The robot with its base at `base_pos` (x y z, world frame) facing +x.
RobotMjcf robot_mjcf(const std::array<double, 3>& base_pos);

// Indices of the robot in a compiled model, and what the env, controller and expert need to know about it.
struct RobotIds {
  int n_arm = kArmDofs;                           // arm joints used: joint[0..n_arm)
  std::array<int, kArmDofs> joint{};              // joint ids
  std::array<int, kArmDofs> qpos{};               // qpos addresses
  std::array<int, kArmDofs> dof{};                // dof addresses
  std::array<int, kArmDofs> actuator{};           // the position servo of each arm joint
  std::array<double, kArmDofs> lower{}, upper{};  // joint ranges
  std::array<double, kArmDofs> home{};            // reset posture and the IK's null-space target
  std::array<int, 2> finger_joint{};
  std::array<int, 2> finger_qpos{};
  std::array<int, 2> finger_dof{};
  std::array<double, 2> finger_open{};  // each finger joint's position when the gripper is open
  std::vector<int> gripper_actuators;   // commanded together
  int gripper_actuator = -1;            // the first of them
  double gripper_open = kFingerTravel;  // actuator target at command -1
  double gripper_closed = 0.0;          // ... at command +1
  double open_width = 0.06;             // finger opening sum above which "gripper_open" holds
  double released_width = 0.07;         // ... at which the expert's `release` step is done
  int grip_site = -1;
  int hand_body = -1;
  std::array<int, 2> finger_body{};  // left, right
  int first_body = -1;               // robot bodies are [first_body, last_body]
  int last_body = -1;
  int eye_in_hand_camera = -1;
};

// The default arm's ids; throws a2w::Error naming the element the model lacks.
RobotIds resolve_robot(const mjModel* m);
// A task's own arm (`def`), whose model elements carry the name prefix `prefix` ("robot/") and whose bodies
// are [first_body, last_body]; throws a2w::InvalidArgument at def.loc naming what does not fit (an arm
// joint without a position servo, a gripper that does not drive exactly two finger joints, ...).
RobotIds resolve_robot(const mjModel* m, const RobotDef& def, const std::string& prefix, int first_body,
                       int last_body);

}  // namespace a2w::tasks
