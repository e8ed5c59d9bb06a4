#include "a2w/tasks/expert.h"

#include <algorithm>
#include <cmath>

#include "a2w/env/error.h"
#include "a2w/tasks/controller.h"

namespace a2w::tasks {
namespace {

using Kind = WaypointDef::Kind;
using Action = std::array<float, 7>;

constexpr double kPi = 3.14159265358979323846;
constexpr double kFingertipBelowTcp = 0.015;  // the finger tips reach this far below the tool centre point
constexpr double kFingerHalfThickness = 0.01;

double wrap(double a, double period) {  // into (-period/2, period/2]
  a = std::fmod(a, period);
  if (a > period / 2) a -= period;
  if (a <= -period / 2) a += period;
  return a;
}

double norm2(double x, double y) {
  return std::sqrt(x * x + y * y);
}

double quat_yaw(const std::array<double, 4>& q) {
  return std::atan2(2 * (q[0] * q[3] + q[1] * q[2]), 1 - 2 * (q[2] * q[2] + q[3] * q[3]));
}

double tcp_yaw(const SceneView& v) {
  const mjtNum* R = v.tcp_xmat();
  return std::atan2(R[3], R[0]);
}

// Rotation action that turns the gripper towards pointing down with yaw `yaw`; also returns the angle left.
double orient(const SceneView& v, double yaw, Action& a) {
  const mjtNum* R = v.tcp_xmat();
  const double c = std::cos(yaw), s = std::sin(yaw);
  // Desired tool frame: x = (c, s, 0), y = (s, -c, 0), z = (0, 0, -1) (the home frame turned by yaw).
  const mjtNum Rd[9] = {c, s, 0, s, -c, 0, 0, 0, -1};
  mjtNum Rt[9], E[9], q[4], e[3];
  mju_transpose(Rt, R, 3, 3);
  mju_mulMatMat(E, Rd, Rt, 3, 3, 3);
  mju_mat2Quat(q, E);
  if (q[0] < 0)
    for (double& x : q) x = -x;
  mju_quat2Vel(e, q, 1.0);
  for (int k = 0; k < 3; ++k) a[3 + k] = static_cast<float>(std::clamp(e[k] / kMaxRotation, -1.0, 1.0));
  return mju_norm3(e);
}

// Translation action towards `goal` along a straight line, at most `speed` of the full step.
double translate(const SceneView& v, const Vec3& goal, double speed, Action& a) {
  const Vec3 p = v.tcp();
  double d[3] = {goal[0] - p[0], goal[1] - p[1], goal[2] - p[2]};
  const double n = std::sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
  const double scale = n / kMaxTranslation > speed ? speed * kMaxTranslation / n : 1.0;
  for (int k = 0; k < 3; ++k)
    a[k] = static_cast<float>(std::clamp(d[k] * scale / kMaxTranslation, -1.0, 1.0));
  return n;
}

struct Target {
  EntityRef ref;
  bool valid = false;
};

Target resolve(const TaskDef& def, const std::string& name) {
  Target t;
  if (!name.empty()) t.valid = parse_entity(def, name, t.ref);
  return t;
}

// Yaw of the entity's frame (objects and fixtures), 0 otherwise.
double entity_yaw(const SceneView& v, const EntityRef& e) {
  if (e.kind == EntityRef::Kind::kObject) return quat_yaw(v.object_quat(e.index));
  if (e.kind == EntityRef::Kind::kFixture || e.kind == EntityRef::Kind::kFixtureBase)
    return v.fixture_yaw(e.index);
  return 0.0;
}

// The gripper yaw a waypoint aims for: across a box's faces, along a drawer's axis, else as it was.
double goal_yaw(const SceneView& v, const Target& t, double current) {
  if (!t.valid) return current;
  const TaskDef& def = v.task().def;
  if (t.ref.kind == EntityRef::Kind::kObject) {
    const auto& o = def.objects[static_cast<std::size_t>(t.ref.index)];
    if (o.shape != Shape::kBox) return current;
    // The fingers are symmetric: any face pair will do, so take the one nearest to the current yaw.
    return current + wrap(entity_yaw(v, t.ref) - current, kPi / 2);
  }
  if (t.ref.kind == EntityRef::Kind::kFixture &&
      def.fixtures[static_cast<std::size_t>(t.ref.index)].kind == FixtureKind::kDrawer)
    return current + wrap(entity_yaw(v, t.ref) - current, kPi);
  return current;
}

Vec3 offset_point(const SceneView& v, const WaypointDef& w, const Target& t) {
  Vec3 p = t.valid ? v.point(t.ref) : v.tcp();
  Vec3 off = w.offset;
  if (w.local_offset && t.valid) {
    const double yaw = entity_yaw(v, t.ref), c = std::cos(yaw), s = std::sin(yaw);
    off = {c * w.offset[0] - s * w.offset[1], s * w.offset[0] + c * w.offset[1], w.offset[2]};
  }
  return {p[0] + off[0], p[1] + off[1], p[2] + off[2]};
}

void next(ExpertState& s, const TaskEnv& env) {
  ++s.pc;
  s.steps = 0;
  s.phase = 0;
  s.settled = 0;
  const SceneView v = env.view();
  s.anchor = v.tcp();
  s.anchor_yaw = tcp_yaw(v);
}

// Push `object` towards the centre of `region` with the closed gripper held low behind it.
bool push_step(const SceneView& v, ExpertState& s, const WaypointDef& w, Action& a) {
  const TaskDef& def = v.task().def;
  const int obj = def.object_index(w.target);
  const int reg = def.fixture_index(w.to);
  const Vec3 o = v.object_pos(obj);
  const Vec3 g = v.point({EntityRef::Kind::kFixture, reg});
  const Vec3 half = def.objects[static_cast<std::size_t>(obj)].half_extents();
  double dx = g[0] - o[0], dy = g[1] - o[1];
  const double remaining = norm2(dx, dy);
  if (remaining > 1e-6) dx /= remaining, dy /= remaining;
  // Closed fingers push with their flat side; either of its two directions will do: keep the nearer one.
  const double yaw = s.anchor_yaw + wrap(std::atan2(dy, dx) - s.anchor_yaw, kPi);
  const double obj_yaw = quat_yaw(v.object_quat(obj));
  // Distance from the object's centre to its face along the push direction, plus the finger.
  const double ca = std::abs(std::cos(std::atan2(dy, dx) - obj_yaw)),
               sa = std::abs(std::sin(std::atan2(dy, dx) - obj_yaw));
  const double face = half[0] * ca + half[1] * sa + kFingerHalfThickness + 0.004;
  const double low = std::max(0.008, 0.008 + kFingertipBelowTcp);
  const double high = o[2] + half[2] + 0.05;
  const Vec3 tcp = v.tcp();
  a[6] = 1.0f;
  orient(v, yaw, a);
  const double rx = tcp[0] - o[0], ry = tcp[1] - o[1];
  const double along = rx * dx + ry * dy, lateral = std::abs(rx * dy - ry * dx);
  const double margin = 0.012;
  switch (s.phase) {
    case 0: {  // above the pre-push point
      const Vec3 pre{o[0] - dx * (face + 0.03), o[1] - dy * (face + 0.03), high};
      if (translate(v, pre, 1.0, a) < 0.015) s.phase = 1;
      return false;
    }
    case 1: {  // down behind the object
      const Vec3 pre{o[0] - dx * (face + 0.03), o[1] - dy * (face + 0.03), low};
      if (translate(v, pre, 0.8, a) < 0.008) s.phase = 2;
      return false;
    }
    case 2: {  // push along the line to the goal
      if (remaining < margin) {
        s.phase = 4;
        return false;
      }
      if (lateral > 0.02 || along > -face + 0.5 * (face - kFingerHalfThickness)) {
        s.phase = 3;  // lost the object: back off and approach again
        return false;
      }
      const double lead = std::min(0.03, remaining);
      const Vec3 goal{o[0] - dx * face + dx * lead, o[1] - dy * face + dy * lead, low};
      translate(v, goal, 0.5, a);
      return false;
    }
    case 3: {  // straight up, then approach again
      if (translate(v, {tcp[0], tcp[1], high}, 1.0, a) < 0.015 || tcp[2] > high - 0.015) s.phase = 0;
      return false;
    }
    default: {  // retreat straight up, leaving the object where it is
      return translate(v, {tcp[0], tcp[1], high}, 0.8, a) < 0.015 || tcp[2] > high - 0.015;
    }
  }
}

}  // namespace

Action expert_action_clean(TaskEnv& env, ExpertState& s) {
  const SceneView v = env.view();
  const TaskDef& def = env.task();
  if (s.episode != env.episode_index()) {
    s = ExpertState{};
    s.episode = env.episode_index();
    s.anchor = v.tcp();
    s.anchor_yaw = tcp_yaw(v);
  }
  Action a{};
  a[6] = static_cast<float>(s.gripper);
  const Vec3 tcp = v.tcp();

  if (s.recovering) {  // open, back off upwards, then run the program again
    s.gripper = -1.0;
    a[6] = -1.0f;
    orient(v, s.anchor_yaw, a);
    ++s.steps;
    if (translate(v, {tcp[0], tcp[1], 0.16}, 1.0, a) < 0.01 || s.steps > 20) {
      s.recovering = false;
      s.pc = 0;
      s.steps = 0;
      s.phase = 0;
      s.anchor = tcp;
    }
    return a;
  }
  if (s.pc >= def.expert.size()) {  // program done: hold still
    orient(v, s.anchor_yaw, a);
    translate(v, s.anchor, 0.5, a);
    return a;
  }
  const WaypointDef& w = def.expert[s.pc];
  ++s.steps;
  if (w.gripper) s.gripper = *w.gripper;
  a[6] = static_cast<float>(s.gripper);
  const Target t = resolve(def, w.target);
  bool done = false;
  switch (w.kind) {
    case Kind::kMoveAbove:
    case Kind::kMoveTo:
    case Kind::kDescend: {
      Vec3 goal = offset_point(v, w, t);
      if (w.kind == Kind::kMoveAbove) goal[2] += w.height;
      double speed = w.speed;
      if (w.kind == Kind::kDescend) {
        // Straight down: correct x, y first so the fingers do not sweep into the object.
        if (norm2(goal[0] - tcp[0], goal[1] - tcp[1]) > 0.012) goal[2] = std::max(goal[2], tcp[2]);
        speed = std::min(speed, 0.6);
      }
      const double yaw_err = orient(v, goal_yaw(v, t, s.anchor_yaw), a);
      const double err = translate(v, goal, speed, a);
      done = err < w.tolerance && yaw_err < 0.08;
      break;
    }
    case Kind::kGrasp: {
      s.gripper = 1.0;
      a[6] = 1.0f;
      orient(v, s.anchor_yaw, a);
      translate(v, s.anchor, 0.5, a);
      const mjData* d = env.data();
      const auto& r = env.compiled().robot;
      const double fv = std::abs(d->qvel[r.finger_dof[0]]) + std::abs(d->qvel[r.finger_dof[1]]);
      done = s.steps >= 4 && fv < 0.01;
      break;
    }
    case Kind::kRelease: {
      s.gripper = -1.0;
      a[6] = -1.0f;
      orient(v, s.anchor_yaw, a);
      translate(v, s.anchor, 0.5, a);
      done = v.gripper_width() > v.task().robot.released_width;
      break;
    }
    case Kind::kLift: {
      orient(v, s.anchor_yaw, a);
      done = translate(v, {s.anchor[0], s.anchor[1], w.height}, w.speed, a) < w.tolerance;
      break;
    }
    case Kind::kPush:
      done = push_step(v, s, w, a);
      break;
    case Kind::kPull: {
      // Move along the drawer's axis, keeping the offset to the handle the pull started with (the hook).
      const int f = t.ref.index;
      const double yaw = v.fixture_yaw(f);
      const double ax = -std::cos(yaw), ay = -std::sin(yaw);  // opening direction
      const double q = v.joint(f), target = *w.joint_target;
      if (s.steps == 1) {
        const Vec3 h = v.point(t.ref);
        s.anchor = {tcp[0] - h[0], tcp[1] - h[1], tcp[2] - h[2]};
      }
      const double sign = target > q ? 1.0 : -1.0;
      const Vec3 h = v.point(t.ref);
      const double lead = 0.04 * w.speed;
      const Vec3 goal{h[0] + s.anchor[0] + sign * ax * lead, h[1] + s.anchor[1] + sign * ay * lead,
                      h[2] + s.anchor[2]};
      orient(v, s.anchor_yaw + wrap(yaw - s.anchor_yaw, kPi), a);
      translate(v, goal, w.speed, a);
      done = sign * (q - target) >= 0;
      break;
    }
    case Kind::kPress: {
      const Vec3 top = v.point(t.ref);
      orient(v, s.anchor_yaw, a);
      s.gripper = 1.0;
      a[6] = 1.0f;
      const bool over = norm2(top[0] - tcp[0], top[1] - tcp[1]) < 0.006;
      // Finger tips 12 mm below the cap's top: the goal sinks with the cap until the button bottoms out.
      const Vec3 goal{top[0], top[1],
                      over ? top[2] + kFingertipBelowTcp - 0.012 : std::max(tcp[2], top[2] + 0.03)};
      translate(v, goal, w.speed * 0.6, a);
      s.settled = v.joint(t.ref.index) < *w.joint_target ? s.settled + 1 : 0;
      done = s.settled >= 3;
      break;
    }
    case Kind::kWait:
      orient(v, s.anchor_yaw, a);
      translate(v, s.anchor, 0.5, a);
      done = s.steps >= w.timeout;
      break;
  }
  if (!done && w.require && s.steps > 2 && s.restarts < 5) {
    const Predicate p(*w.require, def);
    if (!p.evaluate_now(v)) {
      s.recovering = true;
      s.steps = 0;
      ++s.restarts;
      s.anchor_yaw = tcp_yaw(v);
      return a;
    }
  }
  if (done || s.steps >= w.timeout) next(s, env);
  return a;
}

env::Array expert_action(TaskEnv& env, ExpertState& state, env::Rng& rng, double noise) {
  Action a = expert_action_clean(env, state);
  if (noise > 0) {
    if (state.burst_left > 0) {
      a = state.burst;
      --state.burst_left;
    } else if (noise >= 0.1 && rng.uniform() < 0.04 * noise) {
      state.burst_left = 1 + static_cast<int>(rng.below(5));
      for (int k = 0; k < 6; ++k)
        state.burst[static_cast<std::size_t>(k)] = static_cast<float>(rng.uniform(-1, 1));
      // Keep the gripper as commanded most of the time: a random release is a rarer failure.
      state.burst[6] = rng.uniform() < 0.25 ? static_cast<float>(rng.uniform(-1, 1)) : a[6];
      a = state.burst;
    }
    for (auto& x : a) x = static_cast<float>(std::clamp(x + noise * rng.normal(), -1.0, 1.0));
  }
  return env::Array::from(std::vector<float>(a.begin(), a.end()), {7});
}

ExpertPolicy::ExpertPolicy(env::VectorEnv& envs, double noise, std::uint64_t seed)
    : envs_(envs), noise_(noise), seed_(seed) {
  if (!(noise >= 0) || !std::isfinite(noise))
    throw InvalidArgument("ExpertPolicy: expected a noise level >= 0, got " + std::to_string(noise));
  for (int i = 0; i < envs.num_envs(); ++i) {
    auto* t = dynamic_cast<TaskEnv*>(&envs.env(i).unwrapped());
    if (!t)
      throw InvalidArgument("ExpertPolicy: expected MuJoCo task envs (a2w/... ids), env " +
                            std::to_string(i) + " is something else");
    task_envs_.push_back(t);
  }
  states_.resize(task_envs_.size());
  rngs_.resize(task_envs_.size());
}

std::string ExpertPolicy::name() const {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "expert(noise=%g)", noise_);
  return buf;
}

void ExpertPolicy::reset(const std::vector<bool>& mask) {
  for (std::size_t i = 0; i < states_.size() && i < mask.size(); ++i)
    if (mask[i]) states_[i].episode = -1;
}

env::Array ExpertPolicy::act(const env::Dict& obs) {
  (void)obs;
  const std::int64_t n = static_cast<std::int64_t>(task_envs_.size());
  env::Array out(env::DType::kFloat32, {n, 7});
  float* p = out.data<float>();
  for (std::size_t i = 0; i < task_envs_.size(); ++i) {
    TaskEnv& e = *task_envs_[i];
    if (!e.episode_running()) continue;  // ended, waiting for its reset: the action is ignored
    if (states_[i].episode != e.episode_index()) {
      // The noise stream depends on the episode's seed, not on the slot: results do not depend on batching.
      rngs_[i].reseed(env::splitmix64(seed_ ^ env::splitmix64(e.episode_seed())));
    }
    const env::Array a = expert_action(e, states_[i], rngs_[i], noise_);
    std::copy_n(a.data<float>(), 7, p + 7 * i);
  }
  return out;
}

}  // namespace a2w::tasks
