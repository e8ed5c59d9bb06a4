#include "a2w/tasks/controller.h"

#include <algorithm>
#include <cmath>

#include "a2w/tasks/mujoco_boundary.h"

namespace a2w::tasks {
namespace {

constexpr int kIkIterations = 3;
constexpr double kDamping = 0.05;      // lambda of the damped pseudo-inverse (m, rad)
constexpr double kNullGain = 0.3;      // fraction of the way back to the home posture per control step
constexpr double kMaxJointStep = 0.6;  // rad per IK iteration: keeps a bad linearisation from flailing

}  // namespace

EndEffectorController::EndEffectorController(const CompiledTask& task) : task_(task) {
  scratch_ = guarded_make_data(task.model.get());
  home_ = task.robot.home;
  jacp_.resize(static_cast<std::size_t>(3 * task.model->nv));
  jacr_.resize(static_cast<std::size_t>(3 * task.model->nv));
}

EndEffectorController::~EndEffectorController() {
  if (scratch_) mj_deleteData(scratch_);
}

JointTargets EndEffectorController::compute(const mjData* d, const float* a) {
  const mjModel* m = task_.model.get();
  const RobotIds& r = task_.robot;
  const int nv = m->nv;
  JointTargets out;

  // Goal pose from the current tool centre point.
  const mjtNum* p = d->site_xpos + 3 * r.grip_site;
  const mjtNum* R = d->site_xmat + 9 * r.grip_site;
  double goal_p[3];
  for (int k = 0; k < 3; ++k)
    goal_p[k] = std::clamp(p[k] + kMaxTranslation * a[k], task_.workspace.lo[k], task_.workspace.hi[k]);
  mjtNum cur_q[4], rot_q[4], goal_q[4];
  mju_mat2Quat(cur_q, R);
  const mjtNum w[3] = {kMaxRotation * a[3], kMaxRotation * a[4], kMaxRotation * a[5]};
  const mjtNum angle = mju_norm3(w);
  if (angle > 1e-12) {
    const mjtNum axis[3] = {w[0] / angle, w[1] / angle, w[2] / angle};
    mju_axisAngle2Quat(rot_q, axis, angle);
    mju_mulQuat(goal_q, rot_q, cur_q);
  } else {
    mju_copy4(goal_q, cur_q);
  }

  // IK on the scratch data, starting from the measured joints.
  const int n = r.n_arm;
  mju_copy(scratch_->qpos, d->qpos, m->nq);
  double q[kArmDofs];
  for (int i = 0; i < n; ++i) q[i] = d->qpos[r.qpos[i]];
  mjtNum* jp = jacp_.data();
  mjtNum* jr = jacr_.data();
  for (int it = 0; it < kIkIterations; ++it) {
    for (int i = 0; i < n; ++i) scratch_->qpos[r.qpos[i]] = q[i];
    mj_kinematics(m, scratch_);
    mj_comPos(m, scratch_);
    mj_jacSite(m, scratch_, jp, jr, r.grip_site);
    const mjtNum* sp = scratch_->site_xpos + 3 * r.grip_site;
    mjtNum sq[4], err_q[4], inv[4];
    mju_mat2Quat(sq, scratch_->site_xmat + 9 * r.grip_site);
    mju_negQuat(inv, sq);
    mju_mulQuat(err_q, goal_q, inv);
    double e[6];
    for (int k = 0; k < 3; ++k) e[k] = goal_p[k] - sp[k];
    mju_quat2Vel(e + 3, err_q, 1.0);
    // J: 6 x n over the arm's dofs.
    double J[6 * kArmDofs];
    for (int c = 0; c < n; ++c)
      for (int k = 0; k < 3; ++k) {
        J[k * n + c] = jp[k * nv + r.dof[c]];
        J[(k + 3) * n + c] = jr[k * nv + r.dof[c]];
      }
    // dq = J^T (J J^T + lambda^2 I)^-1 e  +  (I - J^+ J) k (home - q)
    double A[36];
    mju_mulMatMatT(A, J, J, 6, n, 6);
    for (int k = 0; k < 6; ++k) A[k * 7] += kDamping * kDamping;
    mju_cholFactor(A, 6, 0);
    double y[6];
    mju_cholSolve(y, A, e, 6);
    double dq[kArmDofs];
    mju_mulMatTVec(dq, J, y, 6, n);
    double z[kArmDofs], Jz[6], yz[6], pz[kArmDofs];
    for (int i = 0; i < n; ++i) z[i] = kNullGain / kIkIterations * (home_[i] - q[i]);
    mju_mulMatVec(Jz, J, z, 6, n);
    mju_cholSolve(yz, A, Jz, 6);
    mju_mulMatTVec(pz, J, yz, 6, n);
    for (int i = 0; i < n; ++i) {
      const double step = std::clamp(dq[i] + z[i] - pz[i], -kMaxJointStep, kMaxJointStep);
      q[i] = std::clamp(q[i] + step, r.lower[i] + 1e-3, r.upper[i] - 1e-3);
    }
  }
  for (int i = 0; i < n; ++i) out.arm[i] = q[i];
  out.gripper = gripper_target(static_cast<double>(a[6]));
  out.goal_pos = {goal_p[0], goal_p[1], goal_p[2]};
  return out;
}

}  // namespace a2w::tasks
