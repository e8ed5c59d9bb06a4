#pragma once
// EndEffectorController: the task action (LIBERO / robosuite OSC_POSE-like end-effector deltas) to joint
// position targets for the arm's servos.
//
//   action = [dx, dy, dz, droll, dpitch, dyaw, gripper], each in [-1, 1] (the env clips outside values)
//   goal position    = tool centre point + 0.05 m * [dx, dy, dz]          (world frame), clamped to the
//                      workspace box above the table
//   goal orientation = exp(0.5 rad * [droll, dpitch, dyaw]) * current     (world-frame rotation vector)
//   gripper          = -1 open (fingers 4 cm each) .. +1 closed, continuous in between
//
// Joint targets come from damped least-squares differential IK on the tool centre point (mj_jacSite), a few
// iterations on a scratch mjData, with a null-space pull towards the home posture, clipped to the joint
// ranges. It runs once per control step (never per physics substep). The same code drives a task's own arm
// (robot.h): any number of arm joints up to 7, its own home posture and joint ranges.

#include <mujoco/mujoco.h>

#include <array>
#include <vector>

#include "a2w/tasks/compiled_task.h"
#include "a2w/tasks/robot.h"

namespace a2w::tasks {

inline constexpr double kMaxTranslation = 0.05;  // m per control step at |a| = 1
inline constexpr double kMaxRotation = 0.5;      // rad per control step at |a| = 1

struct JointTargets {
  std::array<double, kArmDofs> arm{};  // rad, within the joint ranges (the first RobotIds::n_arm are used)
  double gripper = 0.0;                // tendon target: mean finger opening, 0 .. 0.04 m
  std::array<double, 3> goal_pos{};    // the clamped goal of the tool centre point
};

class EndEffectorController {
 public:
  explicit EndEffectorController(const CompiledTask& task);
  ~EndEffectorController();
  EndEffectorController(const EndEffectorController&) = delete;
  EndEffectorController& operator=(const EndEffectorController&) = delete;

  // `action` holds 7 finite values in [-1, 1]; `d` is the current state (kinematics up to date).
  JointTargets compute(const mjData* d, const float* action);

  // Gripper actuator target for a command in [-1, 1] (-1: the robot's gripper_open, +1: gripper_closed;
  // the default arm: the mean finger opening, 0.04 .. 0 m).
  double gripper_target(double command) const {
    return task_.robot.gripper_closed +
           (task_.robot.gripper_open - task_.robot.gripper_closed) * (1.0 - command) / 2.0;
  }

 private:
  const CompiledTask& task_;
  mjData* scratch_ = nullptr;  // IK iterations run here; the simulation's own data is never touched
  std::array<double, kArmDofs> home_{};
  std::vector<mjtNum> jacp_, jacr_;  // 3 x nv Jacobians, allocated once
};

}  // namespace a2w::tasks
