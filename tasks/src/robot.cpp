#include "a2w/tasks/robot.h"

#include <algorithm>
#include <cstdio>
#include <string>

#include "a2w/env/error.h"

namespace a2w::tasks {

// Found once with the controller's damped least-squares IK from the Panda's "ready" posture: tool centre
// point at (0.45, 0, 0.30) from the base, gripper pointing down, fingers opening along world y.
const std::array<double, kArmDofs> kHomeQpos = {0.0, -0.2517088, 0.0, -2.4403344, 0.0, 2.1886256, 0.7853982};

namespace {

std::string fmt(const char* format, double a, double b, double c) {
  std::string out(static_cast<std::size_t>(std::snprintf(nullptr, 0, format, a, b, c)), '\0');
  std::snprintf(out.data(), out.size() + 1, format, a, b, c);
  return out;
}

}  // namespace

RobotMjcf robot_mjcf(const std::array<double, 3>& base_pos) {
  RobotMjcf r;
  // Collision classes (contype/conaffinity bits, see scene.cpp): the robot is bit 2 and collides with the
  // table (1), objects (4) and fixtures (8), never with itself (the Panda's own limits keep links apart).
  r.default_classes = R"(
    <default class="a2w_robot">
      <joint limited="true" armature="0.1" damping="100"/>
      <geom contype="2" conaffinity="13" condim="3" group="1" friction="1 0.005 0.0001" rgba="0.92 0.92 0.94 1"/>
      <default class="a2w_robot_dark"><geom rgba="0.25 0.25 0.28 1"/></default>
      <default class="a2w_wrist"><joint damping="25"/></default>
      <default class="a2w_finger">
        <joint type="slide" axis="0 1 0" range="0 0.04" armature="0.01" damping="4"/>
        <geom rgba="0.3 0.3 0.32 1"/>
      </default>
      <!-- Pads: high friction with torsional friction (condim 4) so a cube held at its sides does not slip
           or spin out of the grasp. -->
      <default class="a2w_pad"><geom condim="4" friction="1.5 0.05 0.001" solref="0.01 1" rgba="0.1 0.1 0.1 1"/></default>
    </default>
)";
  r.body = fmt(R"(
    <body name="link0" pos="%g %g %g" childclass="a2w_robot">
      <inertial pos="0 0 0.05" mass="3" diaginertia="0.02 0.02 0.02"/>
      <geom name="link0_base" type="cylinder" pos="0 0 0.07" size="0.09 0.07" class="a2w_robot_dark"/>
      <geom type="capsule" fromto="-0.05 0 0.06 0 0 0.16" size="0.07"/>
      <body name="link1" pos="0 0 0.333">
        <joint name="joint1" axis="0 0 1" range="-2.8973 2.8973"/>
        <geom type="capsule" fromto="0 0 -0.17 0 0 -0.04" size="0.065" mass="1.5"/>
        <geom type="capsule" fromto="0 -0.06 0 0 0.06 0" size="0.065" mass="1.0"/>
        <body name="link2" quat="0.70710678 -0.70710678 0 0">
          <joint name="joint2" axis="0 0 1" range="-1.7628 1.7628"/>
          <geom type="capsule" fromto="0 -0.04 0 0 -0.2 0" size="0.065" mass="2.0"/>
          <body name="link3" pos="0 -0.316 0" quat="0.70710678 0.70710678 0 0">
            <joint name="joint3" axis="0 0 1" range="-2.8973 2.8973"/>
            <geom type="capsule" fromto="0 0 -0.12 0 0 -0.02" size="0.06" mass="1.2"/>
            <geom type="capsule" fromto="0 0 0 0.0825 0 0" size="0.055" mass="0.8" class="a2w_robot_dark"/>
            <body name="link4" pos="0.0825 0 0" quat="0.70710678 0.70710678 0 0">
              <joint name="joint4" axis="0 0 1" range="-3.0718 -0.0698"/>
              <geom type="capsule" fromto="0 0 -0.05 0 0 0.05" size="0.055" mass="1.0" class="a2w_robot_dark"/>
              <geom type="capsule" fromto="-0.0825 0.06 0 -0.0825 0.16 0" size="0.055" mass="1.0"/>
              <body name="link5" pos="-0.0825 0.384 0" quat="0.70710678 -0.70710678 0 0">
                <joint name="joint5" axis="0 0 1" range="-2.8973 2.8973" class="a2w_wrist"/>
                <geom type="capsule" fromto="0 0 -0.22 0 0 -0.06" size="0.05" mass="1.2"/>
                <geom type="capsule" fromto="0 0.04 -0.16 0 0.06 -0.08" size="0.03" mass="0.3"/>
                <body name="link6" quat="0.70710678 0.70710678 0 0">
                  <joint name="joint6" axis="0 0 1" range="-0.0175 3.7525" class="a2w_wrist"/>
                  <geom type="capsule" fromto="0 0 -0.05 0 0 0.02" size="0.05" mass="0.6" class="a2w_robot_dark"/>
                  <geom type="capsule" fromto="0.01 0 0 0.088 0 0" size="0.045" mass="0.4"/>
                  <body name="link7" pos="0.088 0 0" quat="0.70710678 0.70710678 0 0">
                    <joint name="joint7" axis="0 0 1" range="-2.8973 2.8973" class="a2w_wrist"/>
                    <geom type="cylinder" fromto="0 0 -0.04 0 0 0.1" size="0.045" mass="0.5" class="a2w_robot_dark"/>
                    <body name="hand" pos="0 0 0.107" quat="0.92387953 0 0 -0.38268343">
                      <geom name="hand_palm" type="box" pos="0 0 0.035" size="0.03 0.1 0.022" mass="0.5"/>
                      <geom type="cylinder" pos="0 0 0.006" size="0.04 0.006" mass="0.1" class="a2w_robot_dark"/>
                      <camera name="eye_in_hand" pos="0.062 0 0.03" xyaxes="0 1 0 0.96 0 0.28" fovy="75"/>
                      <site name="grip_site" pos="0 0 0.0974" size="0.006" rgba="1 0 0 0" group="4"/>
                      <body name="left_finger" pos="0 0 0.0584">
                        <inertial pos="0 0.01 0.027" mass="0.05" diaginertia="1e-5 1e-5 1e-5"/>
                        <joint name="finger_joint1" class="a2w_finger"/>
                        <geom name="left_finger" type="box" pos="0 0.012 0.027" size="0.01 0.008 0.027" class="a2w_finger"/>
                        <geom name="left_pad" type="box" pos="0 0.002 0.039" size="0.0095 0.002 0.015" class="a2w_pad"/>
                      </body>
                      <body name="right_finger" pos="0 0 0.0584" quat="0 0 0 1">
                        <inertial pos="0 0.01 0.027" mass="0.05" diaginertia="1e-5 1e-5 1e-5"/>
                        <joint name="finger_joint2" class="a2w_finger"/>
                        <geom name="right_finger" type="box" pos="0 0.012 0.027" size="0.01 0.008 0.027" class="a2w_finger"/>
                        <geom name="right_pad" type="box" pos="0 0.002 0.039" size="0.0095 0.002 0.015" class="a2w_pad"/>
                      </body>
                    </body>
                  </body>
                </body>
              </body>
            </body>
          </body>
        </body>
      </body>
    </body>
)",
               base_pos[0], base_pos[1], base_pos[2]);
  // The gripper: one servo drives the mean finger opening (a fixed tendon), the equality constraint keeps the
  // fingers symmetric (as in Menagerie's panda.xml).
  r.tendon = R"(
    <fixed name="gripper_split">
      <joint joint="finger_joint1" coef="0.5"/>
      <joint joint="finger_joint2" coef="0.5"/>
    </fixed>
)";
  r.equality = R"(
    <joint joint1="finger_joint1" joint2="finger_joint2" polycoef="0 1 0 0 0" solref="0.005 1"/>
)";
  r.actuator = R"(
    <position name="act1" joint="joint1" kp="4000" ctrllimited="true" ctrlrange="-2.8973 2.8973" forcelimited="true" forcerange="-300 300"/>
    <position name="act2" joint="joint2" kp="4000" ctrllimited="true" ctrlrange="-1.7628 1.7628" forcelimited="true" forcerange="-300 300"/>
    <position name="act3" joint="joint3" kp="4000" ctrllimited="true" ctrlrange="-2.8973 2.8973" forcelimited="true" forcerange="-300 300"/>
    <position name="act4" joint="joint4" kp="4000" ctrllimited="true" ctrlrange="-3.0718 -0.0698" forcelimited="true" forcerange="-300 300"/>
    <position name="act5" joint="joint5" kp="1500" ctrllimited="true" ctrlrange="-2.8973 2.8973" forcelimited="true" forcerange="-120 120"/>
    <position name="act6" joint="joint6" kp="1500" ctrllimited="true" ctrlrange="-0.0175 3.7525" forcelimited="true" forcerange="-120 120"/>
    <position name="act7" joint="joint7" kp="1500" ctrllimited="true" ctrlrange="-2.8973 2.8973" forcelimited="true" forcerange="-120 120"/>
    <position name="act_gripper" tendon="gripper_split" kp="400" ctrllimited="true" ctrlrange="0 0.04" forcelimited="true" forcerange="-20 20"/>
)";
  r.contact = R"(
    <exclude body1="left_finger" body2="right_finger"/>
)";
  return r;
}

namespace {

int require_id(const mjModel* m, int type, const char* name, const char* kind) {
  const int id = mj_name2id(m, type, name);
  if (id < 0) throw Error(std::string("robot: expected a ") + kind + " named '" + name + "' in the model");
  return id;
}

}  // namespace

RobotIds resolve_robot(const mjModel* m) {
  RobotIds ids;
  ids.n_arm = kArmDofs;
  for (int i = 0; i < kArmDofs; ++i) {
    const std::string jn = "joint" + std::to_string(i + 1);
    const std::string an = "act" + std::to_string(i + 1);
    ids.joint[i] = require_id(m, mjOBJ_JOINT, jn.c_str(), "joint");
    ids.qpos[i] = m->jnt_qposadr[ids.joint[i]];
    ids.dof[i] = m->jnt_dofadr[ids.joint[i]];
    ids.actuator[i] = require_id(m, mjOBJ_ACTUATOR, an.c_str(), "actuator");
    ids.lower[i] = kArmLower[i];
    ids.upper[i] = kArmUpper[i];
    ids.home[i] = kHomeQpos[i];
  }
  const char* fingers[2] = {"finger_joint1", "finger_joint2"};
  for (int i = 0; i < 2; ++i) {
    ids.finger_joint[i] = require_id(m, mjOBJ_JOINT, fingers[i], "joint");
    ids.finger_qpos[i] = m->jnt_qposadr[ids.finger_joint[i]];
    ids.finger_dof[i] = m->jnt_dofadr[ids.finger_joint[i]];
    ids.finger_open[i] = kFingerTravel;
  }
  ids.gripper_actuator = require_id(m, mjOBJ_ACTUATOR, "act_gripper", "actuator");
  ids.gripper_actuators = {ids.gripper_actuator};
  ids.grip_site = require_id(m, mjOBJ_SITE, "grip_site", "site");
  ids.hand_body = require_id(m, mjOBJ_BODY, "hand", "body");
  ids.finger_body[0] = require_id(m, mjOBJ_BODY, "left_finger", "body");
  ids.finger_body[1] = require_id(m, mjOBJ_BODY, "right_finger", "body");
  ids.first_body = require_id(m, mjOBJ_BODY, "link0", "body");
  ids.last_body = ids.finger_body[1];
  ids.eye_in_hand_camera = require_id(m, mjOBJ_CAMERA, "eye_in_hand", "camera");
  return ids;
}

namespace {

[[noreturn]] void robot_error(const RobotDef& def, const std::string& msg) {
  throw InvalidArgument(def.loc.str() + ": robot: " + msg);
}

int robot_id(const mjModel* m, const RobotDef& def, int type, const std::string& prefix,
             const std::string& name, const char* kind) {
  const int id = mj_name2id(m, type, (prefix + name).c_str());
  if (id < 0)
    robot_error(def, std::string("expected a ") + kind + " named '" + name + "' in the robot's model");
  return id;
}

// A position servo: gain kp on the control, bias -kp on the position (MuJoCo's <position>).
bool is_position_servo(const mjModel* m, int a) {
  return m->actuator_biastype[a] == mjBIAS_AFFINE && m->actuator_gainprm[a * mjNGAIN] > 0 &&
         m->actuator_biasprm[a * mjNBIAS + 1] == -m->actuator_gainprm[a * mjNGAIN];
}

std::string actuator_name(const mjModel* m, int a, const std::string& prefix) {
  const char* n = mj_id2name(m, mjOBJ_ACTUATOR, a);
  std::string s = n ? std::string(n) : std::string("#").append(std::to_string(a));
  return s.rfind(prefix, 0) == 0 ? s.substr(prefix.size()) : s;
}

}  // namespace

RobotIds resolve_robot(const mjModel* m, const RobotDef& def, const std::string& prefix, int first_body,
                       int last_body) {
  RobotIds ids;
  const int n = static_cast<int>(def.arm_joints.size());
  if (n < 1 || n > kArmDofs)
    robot_error(def, "expected 1 to " + std::to_string(kArmDofs) + " arm joints, got " + std::to_string(n));
  ids.n_arm = n;
  for (int i = 0; i < n; ++i) {
    const std::string& jn = def.arm_joints[static_cast<std::size_t>(i)];
    const int j = robot_id(m, def, mjOBJ_JOINT, prefix, jn, "joint");
    if (m->jnt_type[j] != mjJNT_HINGE && m->jnt_type[j] != mjJNT_SLIDE)
      robot_error(def, "expected a hinge or slide joint for arm joint '" + jn + "'");
    ids.joint[i] = j;
    ids.qpos[i] = m->jnt_qposadr[j];
    ids.dof[i] = m->jnt_dofadr[j];
    const bool limited = m->jnt_limited[j];
    ids.lower[i] = limited ? m->jnt_range[2 * j] : -6.283185307179586;
    ids.upper[i] = limited ? m->jnt_range[2 * j + 1] : 6.283185307179586;
    ids.home[i] = def.home[static_cast<std::size_t>(i)];
    if (ids.home[i] < ids.lower[i] || ids.home[i] > ids.upper[i])
      robot_error(def, "expected home[" + std::to_string(i) + "] within the range of joint '" + jn + "' [" +
                           std::to_string(ids.lower[i]) + ", " + std::to_string(ids.upper[i]) + "], got " +
                           std::to_string(ids.home[i]));
    int act = -1;
    if (!def.arm_actuators.empty()) {
      act = robot_id(m, def, mjOBJ_ACTUATOR, prefix, def.arm_actuators[static_cast<std::size_t>(i)],
                     "actuator");
      if (m->actuator_trntype[act] != mjTRN_JOINT || m->actuator_trnid[2 * act] != j)
        robot_error(def, "expected actuator '" + def.arm_actuators[static_cast<std::size_t>(i)] +
                             "' to drive arm joint '" + jn + "'");
    } else {
      for (int a = 0; a < m->nu && act < 0; ++a)
        if (m->actuator_trntype[a] == mjTRN_JOINT && m->actuator_trnid[2 * a] == j) act = a;
      if (act < 0) robot_error(def, "expected an actuator on arm joint '" + jn + "', found none");
    }
    if (!is_position_servo(m, act))
      robot_error(def, "expected a position servo (<position>) on arm joint '" + jn + "', got actuator '" +
                           actuator_name(m, act, prefix) + "' of another kind");
    ids.actuator[i] = act;
  }

  for (const auto& g : def.gripper_actuators) {
    const int a = robot_id(m, def, mjOBJ_ACTUATOR, prefix, g, "actuator");
    if (!is_position_servo(m, a))
      robot_error(def, "expected a position servo (<position>) for gripper actuator '" + g + "'");
    ids.gripper_actuators.push_back(a);
  }
  if (ids.gripper_actuators.empty()) robot_error(def, "expected at least one gripper actuator");
  const int g0 = ids.gripper_actuators[0];
  ids.gripper_actuator = g0;
  if ((!def.gripper_open || !def.gripper_closed) && !m->actuator_ctrllimited[g0])
    robot_error(def, "expected gripper_open and gripper_closed, or a ctrlrange on gripper actuator '" +
                         def.gripper_actuators[0] + "' to take them from");
  ids.gripper_open = def.gripper_open.value_or(m->actuator_ctrlrange[2 * g0 + 1]);
  ids.gripper_closed = def.gripper_closed.value_or(m->actuator_ctrlrange[2 * g0]);

  // Finger joints: named, or what the gripper actuators drive (a joint, or the joints of a fixed tendon).
  std::vector<int> fingers;
  if (!def.finger_joints.empty()) {
    for (const auto& f : def.finger_joints)
      fingers.push_back(robot_id(m, def, mjOBJ_JOINT, prefix, f, "joint"));
  } else {
    auto add = [&](int j) {
      if (std::find(fingers.begin(), fingers.end(), j) == fingers.end()) fingers.push_back(j);
    };
    for (int a : ids.gripper_actuators) {
      if (m->actuator_trntype[a] == mjTRN_JOINT) add(m->actuator_trnid[2 * a]);
      if (m->actuator_trntype[a] == mjTRN_TENDON) {
        const int t = m->actuator_trnid[2 * a];
        for (int w = m->tendon_adr[t]; w < m->tendon_adr[t] + m->tendon_num[t]; ++w)
          if (m->wrap_type[w] == mjWRAP_JOINT) add(m->wrap_objid[w]);
      }
    }
  }
  if (fingers.size() != 2)
    robot_error(
        def, "expected the gripper to move exactly two finger joints, got " + std::to_string(fingers.size()) +
                 (def.finger_joints.empty() ? " from its actuators; name them with finger_joints" : ""));
  double open_sum = 0;
  for (int i = 0; i < 2; ++i) {
    const int j = fingers[static_cast<std::size_t>(i)];
    ids.finger_joint[i] = j;
    ids.finger_qpos[i] = m->jnt_qposadr[j];
    ids.finger_dof[i] = m->jnt_dofadr[j];
    ids.finger_body[i] = m->jnt_bodyid[j];
    double open = ids.gripper_open;
    if (m->jnt_limited[j]) open = std::clamp(open, m->jnt_range[2 * j], m->jnt_range[2 * j + 1]);
    ids.finger_open[i] = open;
    open_sum += open;
  }
  // The default gripper's thresholds (6 and 7 cm of 8) as fractions of this gripper's opening.
  ids.open_width = 0.75 * open_sum;
  ids.released_width = 0.875 * open_sum;
  ids.grip_site = robot_id(m, def, mjOBJ_SITE, prefix, def.ee_site, "site");
  ids.hand_body = m->site_bodyid[ids.grip_site];
  ids.first_body = first_body;
  ids.last_body = last_body;
  ids.eye_in_hand_camera = robot_id(m, def, mjOBJ_CAMERA, prefix, def.camera, "camera");
  return ids;
}

}  // namespace a2w::tasks
