#pragma once
// The robot: a 7-DoF arm with Franka Emika Panda kinematics (the body chain of MuJoCo Menagerie's panda.xml)
// built from primitive geoms, with a parallel-jaw gripper. Generated as MJCF fragments that the scene
// assembler places into one model, and resolved back to indices once the model is compiled.
//
// Names in the compiled model: joints "joint1".."joint7", "finger_joint1"/"finger_joint2" (slide, 0..0.04 m
// each, coupled by an equality constraint), actuators "act1".."act7" (position servos on the arm joints) and
// "act_gripper" (one position servo on the finger tendon, force-limited), site "grip_site" (the tool centre
// point between the finger pads), camera "eye_in_hand" on the hand. Arm gravity is compensated by the env
// (qfrc_applied = qfrc_bias before each substep) because MuJoCo 2.2.2 has no gravcomp attribute.

#include <mujoco/mujoco.h>

#include <array>
#include <string>

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

// Indices of the robot in a compiled model; throws a2w::Error naming the element the model lacks.
struct RobotIds {
  std::array<int, kArmDofs> joint{};  // joint ids
  std::array<int, kArmDofs> qpos{};   // qpos addresses
  std::array<int, kArmDofs> dof{};    // dof addresses
  std::array<int, kArmDofs> actuator{};
  std::array<int, 2> finger_joint{};
  std::array<int, 2> finger_qpos{};
  std::array<int, 2> finger_dof{};
  int gripper_actuator = -1;
  int grip_site = -1;
  int hand_body = -1;
  std::array<int, 2> finger_body{};  // left, right
  int first_body = -1;               // link0; robot bodies are [first_body, last_body]
  int last_body = -1;
};
RobotIds resolve_robot(const mjModel* m);

}  // namespace a2w::tasks
