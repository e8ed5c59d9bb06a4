#include "a2w/tasks/task_env.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numbers>
#include <random>

#include "a2w/env/error.h"
#include "a2w/tasks/mujoco_boundary.h"
#include "a2w/tasks/renderer.h"
#include "a2w/tasks/robot.h"
#include "a2w/tasks/scene.h"
#include "a2w/tasks/task_file.h"

namespace a2w::tasks {

using env::Array;
using env::Dict;
using env::DType;
using env::List;
using env::Value;

namespace {

constexpr int kSettleSubsteps = 20;

// Moves every geom of the robot's and of the free bodies' kinematic trees (the task's objects and object
// models) to geom group 5, which MuJoCo's default visual options do not draw; the table, fixtures and scene
// stay.
void hide_robot_and_objects(const CompiledTask& task, mjModel* m) {
  std::vector<char> hidden_root(static_cast<std::size_t>(m->nbody), 0);
  hidden_root[static_cast<std::size_t>(m->body_rootid[m->jnt_bodyid[task.robot.joint[0]]])] = 1;
  for (const auto& f : task.free_bodies) hidden_root[static_cast<std::size_t>(m->body_rootid[f.body])] = 1;
  for (int g = 0; g < m->ngeom; ++g)
    if (hidden_root[static_cast<std::size_t>(m->body_rootid[m->geom_bodyid[g]])]) m->geom_group[g] = 5;
}

const std::vector<std::string>& option_keys() {
  static const std::vector<std::string> keys = {"cameras",      "depth",      "erase",       "horizon",
                                                "image_height", "image_size", "image_width", "perturbation",
                                                "render",       "shadows"};
  return keys;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

int image_side(const Value& v, const char* key) {
  const std::int64_t x = v.as_int();
  if (x < 16 || x > 4096)
    throw InvalidArgument(std::string("task option '") + key +
                          "': expected an image side in [16, 4096], got " + std::to_string(x));
  return static_cast<int>(x);
}

struct PhysicsLoop {
  const mjModel* m;
  mjData* d;
  const int* dofs;
  int ndofs;
  int substeps;
};

// Runs inside guarded_mujoco_call: only MuJoCo calls and plain loops (no destructors in this frame).
void physics_loop(void* p) {
  auto* c = static_cast<PhysicsLoop*>(p);
  for (int s = 0; s < c->substeps; ++s) {
    mj_step1(c->m, c->d);
    // Gravity compensation of the arm (2.2.2 has no gravcomp): the servos then only track, and a small
    // kp reaches its target without sagging.
    for (int i = 0; i < c->ndofs; ++i) c->d->qfrc_applied[c->dofs[i]] = c->d->qfrc_bias[c->dofs[i]];
    mj_step2(c->m, c->d);
  }
}

Array f32(std::initializer_list<double> values) {
  Array a(DType::kFloat32, {static_cast<std::int64_t>(values.size())});
  float* p = a.data<float>();
  for (double v : values) *p++ = static_cast<float>(v);
  return a;
}

}  // namespace

TaskEnvOptions TaskEnvOptions::from_dict(const Dict& options) {
  TaskEnvOptions o;
  for (const auto& [key, value] : options)
    if (std::find(option_keys().begin(), option_keys().end(), key) == option_keys().end())
      throw InvalidArgument("task options: unknown key '" + key +
                            "'; expected one of: " + join(option_keys()));
  if (auto it = options.find("image_size"); it != options.end())
    o.width = o.height = image_side(it->second, "image_size");
  if (auto it = options.find("image_width"); it != options.end())
    o.width = image_side(it->second, "image_width");
  if (auto it = options.find("image_height"); it != options.end())
    o.height = image_side(it->second, "image_height");
  if (auto it = options.find("cameras"); it != options.end()) {
    if (!it->second.is_list())
      throw InvalidArgument(
          "task option 'cameras': expected a list of camera names (agentview, eye_in_hand), got " +
          it->second.kind());
    o.cameras.clear();
    for (const auto& c : it->second.as_list()) {
      const std::string& name = c.as_string();
      if (name != "agentview" && name != "eye_in_hand")
        throw InvalidArgument("task option 'cameras': unknown camera '" + name +
                              "'; expected agentview, eye_in_hand");
      if (std::find(o.cameras.begin(), o.cameras.end(), name) != o.cameras.end())
        throw InvalidArgument("task option 'cameras': camera '" + name + "' listed twice");
      o.cameras.push_back(name);
    }
  }
  if (auto it = options.find("render"); it != options.end() && !it->second.as_bool()) o.cameras.clear();
  if (auto it = options.find("depth"); it != options.end()) o.depth = it->second.as_bool();
  if (auto it = options.find("shadows"); it != options.end()) o.shadows = it->second.as_bool();
  if (auto it = options.find("erase"); it != options.end()) o.erase = it->second.as_bool();
  if (auto it = options.find("perturbation"); it != options.end()) {
    if (!it->second.is_string())
      throw InvalidArgument(
          "task option 'perturbation': expected the name of one of the task's perturbations, got " +
          it->second.kind());
    o.perturbation = it->second.as_string();
  }
  if (auto it = options.find("horizon"); it != options.end()) {
    const std::int64_t h = it->second.as_int();
    if (h < 1 || h > 1000000)
      throw InvalidArgument("task option 'horizon': expected a number of steps >= 1, got " +
                            std::to_string(h));
    o.horizon = static_cast<int>(h);
  }
  return o;
}

TaskEnv::TaskEnv(const TaskDef& task, const TaskEnvOptions& options, std::string id) : options_(options) {
  install_mujoco_error_handlers();
  ModelOptions mo;
  mo.offscreen_width = options.width;
  mo.offscreen_height = options.height;
  task_ = compile_task(options.perturbation.empty() || options.perturbation == task.perturbation
                           ? task
                           : perturb_task(task, options.perturbation),
                       mo);
  noise_ = env::ActionNoise(task_->def.action_noise);
  data_ = guarded_make_data(task_->model.get());
  controller_ = std::make_unique<EndEffectorController>(*task_);
  success_ = Predicate(task_->def.success, task_->def);
  reward_ = Reward(task_->def.reward, task_->def);
  horizon_ = options.horizon > 0 ? options.horizon : task_->def.horizon;
  for (const auto& c : options_.cameras)
    camera_ids_.push_back(c == "agentview" ? task_->agentview_camera : task_->eye_in_hand_camera);
  stream_.reseed(std::random_device{}() ^ (static_cast<std::uint64_t>(std::random_device{}()) << 32));
  build_spec(id);
}

TaskEnv::~TaskEnv() {
  close();
}

void TaskEnv::close() {
  if (closed_) return;
  closed_ = true;
  running_ = false;
  renderer_.reset();
  if (render_model_) mj_deleteModel(render_model_);
  render_model_ = nullptr;
  if (data_) mj_deleteData(data_);
  data_ = nullptr;
}

void TaskEnv::build_spec(const std::string& id) {
  const mjModel* m = task_->model.get();
  const int h = options_.height, w = options_.width;
  std::vector<std::pair<std::string, env::SpacePtr>> spaces;
  for (const auto& c : options_.cameras) {
    spaces.emplace_back(c + "_rgb", env::box(0, 255, {h, w, 3}, DType::kUInt8));
    if (options_.depth) spaces.emplace_back(c + "_depth", env::box(0, 1e6, {h, w}, DType::kFloat32));
  }
  const double inf = std::numeric_limits<double>::infinity();
  spaces.emplace_back("ee_pos", env::box(-inf, inf, {3}));
  spaces.emplace_back("ee_ori", env::box(-std::numbers::pi, std::numbers::pi, {3}));
  const RobotIds& robot = task_->robot;
  double finger_lo = 0.0, finger_hi = kFingerTravel;
  if (task_->def.robot)
    for (int j : robot.finger_joint) {
      finger_lo = std::min(finger_lo, m->jnt_limited[j] ? m->jnt_range[2 * j] : -kFingerTravel);
      finger_hi = std::max(finger_hi, m->jnt_limited[j] ? m->jnt_range[2 * j + 1] : kFingerTravel);
    }
  spaces.emplace_back("gripper_states", env::box(finger_lo - 0.01, finger_hi + 0.01, {2}));
  // An arm with fewer than kArmDofs joints pads joint_states with zeros.
  std::vector<float> lo(kArmDofs, -0.1f), hi(kArmDofs, 0.1f);
  for (int i = 0; i < robot.n_arm; ++i) {
    lo[static_cast<std::size_t>(i)] = static_cast<float>(robot.lower[static_cast<std::size_t>(i)] - 0.1);
    hi[static_cast<std::size_t>(i)] = static_cast<float>(robot.upper[static_cast<std::size_t>(i)] + 0.1);
  }
  spaces.emplace_back("joint_states", env::box(Array::from(lo, {kArmDofs}), Array::from(hi, {kArmDofs})));
  spaces.emplace_back("instruction", env::text(512));
  spec_.id = id;
  spec_.observation_space = env::dict(std::move(spaces));
  spec_.action_space = env::box(-1.0, 1.0, {7}, DType::kFloat32);
  spec_.max_episode_steps = horizon_;
  spec_.control_hz = 1.0 / (kPhysicsTimestep * task_->substeps);

  // Camera facts at the reset pose (the arm at home; the agentview camera is fixed).
  mj_resetData(m, data_);
  for (int i = 0; i < robot.n_arm; ++i)
    data_->qpos[robot.qpos[static_cast<std::size_t>(i)]] = robot.home[static_cast<std::size_t>(i)];
  guarded_forward(m, data_);
  List cams;
  for (std::size_t k = 0; k < options_.cameras.size(); ++k) {
    const int cam = camera_ids_[k];
    const double fovy = m->cam_fovy[cam];
    const double fy = 0.5 * h / std::tan(fovy * std::numbers::pi / 360.0);
    // Camera-to-world in the OpenCV convention (x right, y down, z forward): MuJoCo's camera frame has
    // y up and looks along -z, so its y and z columns flip.
    Array ext(DType::kFloat64, {4, 4});
    double* e = ext.data<double>();
    const mjtNum* R = data_->cam_xmat + 9 * cam;
    const mjtNum* p = data_->cam_xpos + 3 * cam;
    for (int r = 0; r < 3; ++r) {
      e[r * 4 + 0] = R[r * 3 + 0];
      e[r * 4 + 1] = -R[r * 3 + 1];
      e[r * 4 + 2] = -R[r * 3 + 2];
      e[r * 4 + 3] = p[r];
    }
    e[15] = 1.0;
    Dict c;
    c["name"] = options_.cameras[k];
    c["width"] = w;
    c["height"] = h;
    c["fovy"] = fovy;
    c["fx"] = fy;
    c["fy"] = fy;
    c["cx"] = w / 2.0;
    c["cy"] = h / 2.0;
    c["extrinsics"] = ext;
    c["extrinsics_convention"] = "opencv camera-to-world";
    c["moves_with_hand"] = options_.cameras[k] == "eye_in_hand";
    cams.push_back(Value(std::move(c)));
  }
  const TaskDef& def = task_->def;
  List templates, objects, joints;
  for (const auto& s : def.instructions) templates.push_back(s);
  for (const auto& o : task_->free_bodies) objects.push_back(o.name);
  for (const auto& f : def.fixtures)
    if (f.has_joint()) joints.push_back(f.name);
  spec_.metadata["render_fps"] = 20;
  spec_.metadata["cameras"] = std::move(cams);
  spec_.metadata["task"] = def.name;
  spec_.metadata["description"] = def.description;
  spec_.metadata["instruction_templates"] = std::move(templates);
  spec_.metadata["object_names"] = std::move(objects);
  spec_.metadata["fixture_joint_names"] = std::move(joints);
  spec_.metadata["success_predicate"] = def.success_text;
  spec_.metadata["task_file"] = def.file;
  spec_.metadata["substeps"] = task_->substeps;
  spec_.metadata["perturbation"] = task_->def.perturbation;
  spec_.metadata["action_noise"] = task_->def.action_noise;
  spec_.metadata["physics_timestep"] = kPhysicsTimestep;
  spec_.metadata["arm_joints"] = static_cast<std::int64_t>(robot.n_arm);
}

// ---- reset ----

bool TaskEnv::place_object(env::Rng& rng, std::size_t i, int tries, std::vector<Footprint>& taken,
                           std::size_t fixtures_taken) {
  const ObjectDef& o = task_->def.objects[i];
  const Vec3 h = o.half_extents();
  const double r = std::hypot(h[0], h[1]);
  for (int t = 0; t < tries; ++t) {
    const double x = rng.uniform(o.x[0], o.x[1]), y = rng.uniform(o.y[0], o.y[1]);
    const double yaw = rng.uniform(o.yaw[0], o.yaw[1]);
    bool ok = true;
    for (std::size_t k = 0; k < taken.size() && ok; ++k) {
      const double need =
          k < fixtures_taken ? taken[k].r + r + 0.01 : std::max(task_->def.min_separation, taken[k].r + r);
      ok = std::hypot(x - taken[k].x, y - taken[k].y) >= need;
    }
    if (!ok) continue;
    taken.push_back({x, y, r});
    mjtNum* q = data_->qpos + task_->objects[i].qpos;
    q[0] = x, q[1] = y, q[2] = h[2] + 0.0005;
    q[3] = std::cos(yaw / 2), q[4] = 0, q[5] = 0, q[6] = std::sin(yaw / 2);
    return true;
  }
  return false;
}

void TaskEnv::sample_initial_state(env::Rng& rng) {
  const mjModel* m = task_->model.get();
  const TaskDef& def = task_->def;
  mjData* d = data_;
  mj_resetData(m, d);

  // 1. instruction template, 2. object colours.
  const std::size_t tmpl = static_cast<std::size_t>(rng.below(def.instructions.size()));
  colors_.assign(def.objects.size(), 0);
  for (std::size_t i = 0; i < def.objects.size(); ++i)
    if (!def.objects[i].drawn_last) colors_[i] = static_cast<int>(rng.below(def.objects[i].colors.size()));

  // 3. fixtures: pose (and a drawer's initial opening).
  std::vector<Footprint> taken;
  for (std::size_t i = 0; i < def.fixtures.size(); ++i) {
    const FixtureDef& f = def.fixtures[i];
    const FixtureIds& ids = task_->fixtures[i];
    const double x = rng.uniform(f.x[0], f.x[1]), y = rng.uniform(f.y[0], f.y[1]);
    const double yaw = rng.uniform(f.yaw[0], f.yaw[1]);
    const double z = f.kind == FixtureKind::kMarker ? rng.uniform(f.z[0], f.z[1]) : 0.0;
    d->mocap_pos[3 * ids.mocap + 0] = x;
    d->mocap_pos[3 * ids.mocap + 1] = y;
    d->mocap_pos[3 * ids.mocap + 2] = z;
    d->mocap_quat[4 * ids.mocap + 0] = std::cos(yaw / 2);
    d->mocap_quat[4 * ids.mocap + 1] = 0;
    d->mocap_quat[4 * ids.mocap + 2] = 0;
    d->mocap_quat[4 * ids.mocap + 3] = std::sin(yaw / 2);
    if (f.kind == FixtureKind::kDrawer) d->qpos[ids.qpos] = rng.uniform(f.joint_init[0], f.joint_init[1]);
    double r = 0;
    switch (f.kind) {
      case FixtureKind::kDrawer:
        r = std::hypot(f.size[0] + f.travel + 0.08, f.size[1]);
        break;
      case FixtureKind::kBin:
        r = std::hypot(f.size[0] + 0.01, f.size[1] + 0.01);
        break;
      case FixtureKind::kRegion:
        r = std::hypot(f.size[0], f.size[1]);
        break;
      case FixtureKind::kButton:
        r = f.size[0] + 0.015;
        break;
      case FixtureKind::kMarker:
        r = -1;
        break;
    }
    if (r > 0) taken.push_back({x, y, r});
  }

  // 3b. included fixture models, drawn after the task's own fixtures (so that tasks without includes draw
  //     what they always drew).
  for (std::size_t i = 0; i < def.includes.size(); ++i) {
    const IncludeDef& inc = def.includes[i];
    if (inc.kind != IncludeDef::Kind::kFixture) continue;
    const IncludeIds& ids = task_->includes[i];
    const double x = rng.uniform(inc.x[0], inc.x[1]), y = rng.uniform(inc.y[0], inc.y[1]);
    const double yaw = rng.uniform(inc.yaw[0], inc.yaw[1]), z = rng.uniform(inc.z[0], inc.z[1]);
    mjtNum* mp = d->mocap_pos + 3 * ids.mocap;
    mjtNum* mq = d->mocap_quat + 4 * ids.mocap;
    mp[0] = x, mp[1] = y, mp[2] = z;
    mq[0] = std::cos(yaw / 2), mq[1] = 0, mq[2] = 0, mq[3] = std::sin(yaw / 2);
    const double r = inc.radius > 0 ? inc.radius : ids.radius;
    if (r > 0) taken.push_back({x, y, r});
  }

  // 4. objects: rejection sampling against earlier objects and fixture footprints.
  const std::size_t fixtures_taken = taken.size();
  bool placed = false;
  for (int attempt = 0; attempt < 100 && !placed; ++attempt) {
    taken.resize(fixtures_taken);
    placed = true;
    for (std::size_t i = 0; i < def.objects.size() && placed; ++i)
      if (!def.objects[i].drawn_last) placed = place_object(rng, i, 200, taken, fixtures_taken);
  }
  if (!placed)
    throw Error(def.file +
                ": could not place the objects without overlap in 100 attempts; widen their x/y ranges "
                "or lower min_separation");

  // 4b. included object models, against everything placed so far.
  for (std::size_t i = 0; i < def.includes.size(); ++i) {
    const IncludeDef& inc = def.includes[i];
    if (inc.kind != IncludeDef::Kind::kObject) continue;
    const IncludeIds& ids = task_->includes[i];
    const double r = inc.radius > 0 ? inc.radius : ids.radius;
    bool ok = false;
    for (int tries = 0; tries < 500 && !ok; ++tries) {
      const double x = rng.uniform(inc.x[0], inc.x[1]), y = rng.uniform(inc.y[0], inc.y[1]);
      const double yaw = rng.uniform(inc.yaw[0], inc.yaw[1]);
      const double z = std::isnan(inc.z[0]) ? ids.rest_z + 0.0005 : rng.uniform(inc.z[0], inc.z[1]);
      ok = true;
      for (std::size_t k = 0; k < taken.size() && ok; ++k)
        ok = std::hypot(x - taken[k].x, y - taken[k].y) >= std::max(def.min_separation, taken[k].r + r);
      if (!ok) continue;
      taken.push_back({x, y, r});
      mjtNum* q = d->qpos + ids.qpos;
      q[0] = x, q[1] = y, q[2] = z;
      q[3] = std::cos(yaw / 2), q[4] = 0, q[5] = 0, q[6] = std::sin(yaw / 2);
    }
    if (!ok)
      throw Error(
          inc.loc.str() + ": could not place included object '" + inc.name +
          "' clear of the others in 500 tries; widen its x/y ranges, lower its radius or min_separation");
  }

  // 4c. objects a perturbation added (distractors), from a stream of their own: every draw above is the
  //     one the task as written makes with this seed.
  env::Rng extra(env::splitmix64(episode_seed_ ^ 0xD157'AC70'0000'0001ull));
  for (std::size_t i = 0; i < def.objects.size(); ++i) {
    const ObjectDef& o = def.objects[i];
    if (!o.drawn_last) continue;
    colors_[i] = static_cast<int>(extra.below(o.colors.size()));
    if (!place_object(extra, i, 500, taken, fixtures_taken))
      throw Error(o.loc.str() + ": could not place object '" + o.name +
                  "' (added by a perturbation) clear of the others in 500 tries; widen its x/y ranges");
  }

  // The camera's offset this episode (camera jitter), from a stream of its own.
  camera_offset_ = {0, 0, 0};
  for (const auto& c : def.cameras)
    if (c.name == "agentview" && c.jitter > 0) {
      env::Rng cam(env::splitmix64(episode_seed_ ^ 0xCA3E'7A00'0000'0001ull));
      for (double& v : camera_offset_) v = cam.uniform(-c.jitter, c.jitter);
    }

  // The robot at home with the gripper open; servos hold the home posture.
  const RobotIds& r = task_->robot;
  for (int i = 0; i < r.n_arm; ++i) {
    d->qpos[r.qpos[static_cast<std::size_t>(i)]] = r.home[static_cast<std::size_t>(i)];
    d->ctrl[r.actuator[static_cast<std::size_t>(i)]] = r.home[static_cast<std::size_t>(i)];
  }
  for (int i = 0; i < 2; ++i)
    d->qpos[r.finger_qpos[static_cast<std::size_t>(i)]] = r.finger_open[static_cast<std::size_t>(i)];
  for (int a : r.gripper_actuators) d->ctrl[a] = r.gripper_open;

  // Instruction text.
  std::string s = def.instructions[tmpl];
  for (std::size_t i = 0; i < def.objects.size(); ++i) {
    const std::string& name = def.objects[i].name;
    const std::string color = def.objects[i].colors[static_cast<std::size_t>(colors_[i])].name;
    for (const auto& [ph, text] :
         {std::pair{"{" + name + ".color}", color}, std::pair{"{" + name + ".name}", name}})
      for (std::size_t at = s.find(ph); at != std::string::npos; at = s.find(ph, at + text.size()))
        s.replace(at, ph.size(), text);
  }
  instruction_ = s;
}

env::ResetResult TaskEnv::reset(std::optional<std::uint64_t> seed, const Dict& options) {
  if (closed_) throw Error("TaskEnv::reset: expected an open env, it was closed");
  for (const auto& [key, value] : options)
    if (key != "reset_mask")
      throw InvalidArgument("TaskEnv::reset: unknown reset option '" + key + "'; task envs take none");
  episode_seed_ = seed ? *seed : stream_.next_u64();
  ++episode_index_;
  env::Rng rng(episode_seed_);
  sample_initial_state(rng);
  noise_.reset(episode_seed_);
  if (render_model_)
    for (std::size_t i = 0; i < task_->objects.size(); ++i) {
      const Rgba& c = task_->def.objects[i].colors[static_cast<std::size_t>(colors_[i])].rgba;
      std::copy(c.begin(), c.end(), render_model_->geom_rgba + 4 * task_->objects[i].geom);
    }
  guarded_forward(model(), data_);
  if (!run_physics(kSettleSubsteps))
    throw Error(task_->def.file + ": the physics diverged while the initial state settled (seed " +
                std::to_string(episode_seed_) + ")");
  std::fill(held_.begin(), held_.end(), 0);
  held_.assign(static_cast<std::size_t>(success_.held_slots()), 0);
  elapsed_ = 0;
  running_ = true;
  fault_.reset();
  env::ResetResult out;
  out.obs = observe();
  out.info = state_info();
  out.info["success"] = false;
  out.info["is_success"] = false;
  out.info["episode_seed"] = episode_seed_;
  return out;
}

// ---- step ----

bool TaskEnv::run_physics(int substeps) {
  const mjModel* m = task_->model.get();
  mjData* d = data_;
  // 2.2.2 resets the data on a bad position, velocity or acceleration and counts a warning: zero the counters
  // so any increase in this call is ours.
  for (int w : {mjWARN_BADQPOS, mjWARN_BADQVEL, mjWARN_BADQACC}) d->warning[w].number = 0;
  PhysicsLoop loop{m, d, task_->robot.dof.data(), task_->robot.n_arm, substeps};
  guarded_mujoco_call("mj_step", &physics_loop, &loop);
  bool ok = d->warning[mjWARN_BADQPOS].number == 0 && d->warning[mjWARN_BADQVEL].number == 0 &&
            d->warning[mjWARN_BADQACC].number == 0;
  if (fault_ == Fault::kNanQpos) {
    d->qpos[task_->robot.qpos[0]] = std::numeric_limits<double>::quiet_NaN();
    fault_.reset();
  }
  for (int i = 0; i < m->nq && ok; ++i) ok = std::isfinite(d->qpos[i]);
  for (int i = 0; i < m->nv && ok; ++i) ok = std::isfinite(d->qvel[i]);
  return ok;
}

env::StepResult TaskEnv::step(const Array& action) {
  if (closed_) throw Error("TaskEnv::step: expected an open env, it was closed");
  if (!running_)
    throw Error(episode_index_ < 0
                    ? "TaskEnv::step: expected reset() before the first step()"
                    : "TaskEnv::step: the episode ended (terminated or truncated); expected reset() "
                      "before step()");
  if (!action.valid() || action.dtype() != DType::kFloat32 || action.shape() != env::Shape{7})
    throw InvalidArgument(
        "TaskEnv::step: expected a float32 action of shape [7] ([dx, dy, dz, droll, dpitch, dyaw, "
        "gripper]), got " +
        (action.valid() ? std::string(env::dtype_name(action.dtype())) + " " + env::shape_str(action.shape())
                        : std::string("an empty array")));
  float a[7];
  const float* src = action.data<float>();
  for (int i = 0; i < 7; ++i) {
    if (!std::isfinite(src[i]))
      throw InvalidArgument("TaskEnv::step: expected finite action values, got " + std::to_string(src[i]) +
                            " at index " + std::to_string(i));
    a[i] = std::clamp(src[i], -1.0f, 1.0f);  // documented: out-of-range values are clipped
  }
  if (noise_.enabled()) noise_.apply(a, 7);

  mjData* d = data_;
  const RobotIds& r = task_->robot;
  const JointTargets t = controller_->compute(d, a);
  for (int i = 0; i < r.n_arm; ++i)
    d->ctrl[r.actuator[static_cast<std::size_t>(i)]] = t.arm[static_cast<std::size_t>(i)];
  for (int g : r.gripper_actuators) d->ctrl[g] = t.gripper;

  if (fault_ == Fault::kHugeForce) {
    const int body = task_->objects.empty() ? r.hand_body : task_->objects[0].body;
    d->xfrc_applied[6 * body + 2] = 1e12;
    fault_.reset();
  }
  const bool ok = run_physics(task_->substeps);
  std::fill(d->xfrc_applied, d->xfrc_applied + 6 * model()->nbody, 0.0);
  ++elapsed_;

  env::StepResult out;
  if (!ok) {
    // MuJoCo already reset the data (or it holds NaN): show a finite state and end the episode.
    mj_resetData(model(), d);
    guarded_forward(model(), d);
  }
  const bool success = ok && success_.evaluate(view(), held_);
  out.reward = ok ? reward_.evaluate(view(), success) : 0.0;
  out.terminated = success;
  out.truncated = !ok || elapsed_ >= horizon_;
  running_ = !(out.terminated || out.truncated);
  out.obs = observe();
  out.info = state_info();
  out.info["success"] = success;
  out.info["is_success"] = success;
  out.info["physics_diverged"] = !ok;
  return out;
}

bool TaskEnv::success_now() const {
  return success_.evaluate_now(view());
}

// ---- observations ----

Dict TaskEnv::observe() {
  const mjData* d = data_;
  const RobotIds& r = task_->robot;
  Dict obs;
  const mjtNum* p = d->site_xpos + 3 * r.grip_site;
  mjtNum q[4], aa[3];
  mju_mat2Quat(q, d->site_xmat + 9 * r.grip_site);
  if (q[0] < 0)  // the same rotation with w >= 0 gives an angle in [0, pi]
    for (double& x : q) x = -x;
  mju_quat2Vel(aa, q, 1.0);
  obs["ee_pos"] = f32({p[0], p[1], p[2]});
  obs["ee_ori"] = f32({aa[0], aa[1], aa[2]});
  obs["gripper_states"] = f32({d->qpos[r.finger_qpos[0]], d->qpos[r.finger_qpos[1]]});
  Array js(DType::kFloat32, {kArmDofs});
  std::fill(js.data<float>(), js.data<float>() + kArmDofs, 0.0f);
  for (int i = 0; i < r.n_arm; ++i)
    js.data<float>()[i] = static_cast<float>(d->qpos[r.qpos[static_cast<std::size_t>(i)]]);
  obs["joint_states"] = js;
  obs["instruction"] = instruction_;
  if (!camera_ids_.empty()) render_cameras(obs);
  return obs;
}

Dict TaskEnv::state_info() const {
  const mjData* d = data_;
  Dict info;
  const std::int64_t n = static_cast<std::int64_t>(task_->free_bodies.size());
  Array poses(DType::kFloat32, {n, 7});
  float* pp = poses.data<float>();
  for (const auto& o : task_->free_bodies) {
    for (int k = 0; k < 3; ++k) *pp++ = static_cast<float>(d->xpos[3 * o.body + k]);
    for (int k = 0; k < 4; ++k) *pp++ = static_cast<float>(d->xquat[4 * o.body + k]);
  }
  std::vector<float> joints;
  for (const auto& f : task_->fixtures)
    if (f.qpos >= 0) joints.push_back(static_cast<float>(d->qpos[f.qpos]));
  const int s = task_->robot.grip_site;
  mjtNum q[4];
  mju_mat2Quat(q, d->site_xmat + 9 * s);
  info["state/object_poses"] = poses;
  info["state/fixture_joints"] = Array::from(joints, {static_cast<std::int64_t>(joints.size())});
  info["state/tcp_pose"] =
      f32({d->site_xpos[3 * s], d->site_xpos[3 * s + 1], d->site_xpos[3 * s + 2], q[0], q[1], q[2], q[3]});
  Array vec(DType::kFloat32, {env::kStateDim}), mask(DType::kFloat32, {env::kStateDim});
  state_vector(vec.data<float>(), mask.data<float>());
  info["state/vector"] = vec;
  info["state/mask"] = mask;
  return info;
}

void TaskEnv::state_vector(float* out, float* mask) const {
  std::fill(out, out + env::kStateDim, 0.0f);
  std::fill(mask, mask + env::kStateDim, 0.0f);
  const mjData* d = data_;
  const RobotIds& r = task_->robot;
  for (int i = 0; i < r.n_arm; ++i)
    out[env::kStateJoints + i] = static_cast<float>(d->qpos[r.qpos[static_cast<std::size_t>(i)]]);
  for (int i = 0; i < 2; ++i) out[env::kStateGripper + i] = static_cast<float>(d->qpos[r.finger_qpos[i]]);
  const mjtNum* p = d->site_xpos + 3 * r.grip_site;
  mjtNum q[4], aa[3];
  mju_mat2Quat(q, d->site_xmat + 9 * r.grip_site);
  if (q[0] < 0)
    for (double& x : q) x = -x;
  mju_quat2Vel(aa, q, 1.0);
  for (int k = 0; k < 3; ++k) {
    out[env::kStateEePos + k] = static_cast<float>(p[k]);
    out[env::kStateEeOri + k] = static_cast<float>(aa[k]);
  }
  std::fill(mask, mask + env::kStateObjectsAt, 1.0f);
  std::fill(mask + env::kStateJoints + r.n_arm, mask + env::kStateJoints + kArmDofs, 0.0f);  // padding
  const std::size_t n_obj = std::min<std::size_t>(task_->free_bodies.size(), env::kStateObjects);
  for (std::size_t o = 0; o < n_obj; ++o) {
    const int body = task_->free_bodies[o].body;
    float* dst = out + env::kStateObjectsAt + 7 * o;
    // Canonical sign (w >= 0): q and -q are one rotation, and a regression target must not jump between them.
    const double sign = d->xquat[4 * body] < 0 ? -1.0 : 1.0;
    for (int k = 0; k < 3; ++k) dst[k] = static_cast<float>(d->xpos[3 * body + k]);
    for (int k = 0; k < 4; ++k) dst[3 + k] = static_cast<float>(sign * d->xquat[4 * body + k]);
    std::fill(mask + env::kStateObjectsAt + 7 * o, mask + env::kStateObjectsAt + 7 * (o + 1), 1.0f);
  }
  int j = 0;
  for (const auto& f : task_->fixtures) {
    if (f.qpos < 0 || j >= env::kStateFixtureJoints) continue;
    out[env::kStateFixturesAt + j] = static_cast<float>(d->qpos[f.qpos]);
    mask[env::kStateFixturesAt + j] = 1.0f;
    ++j;
  }
}

namespace {

class TaskStateJudge final : public env::StateJudge {
 public:
  TaskStateJudge(std::shared_ptr<const CompiledTask> task, const mjData* episode)
      : task_(std::move(task)),
        success_(task_->def.success, task_->def),
        reward_(task_->def.reward, task_->def) {
    const mjModel* m = task_->model.get();
    data_ = mj_makeData(m);
    mj_copyData(data_, m, episode);
    restart();
  }
  ~TaskStateJudge() override { mj_deleteData(data_); }

  void restart() override { held_.assign(static_cast<std::size_t>(success_.held_slots()), 0); }

  env::Judgement judge(std::span<const float> state) override {
    if (state.size() != static_cast<std::size_t>(env::kStateDim))
      throw InvalidArgument("StateJudge::judge: expected a state vector of " +
                            std::to_string(env::kStateDim) + " floats, got " + std::to_string(state.size()));
    const mjModel* m = task_->model.get();
    const RobotIds& r = task_->robot;
    for (int i = 0; i < r.n_arm; ++i)
      data_->qpos[r.qpos[static_cast<std::size_t>(i)]] = state[static_cast<std::size_t>(i)];
    for (int i = 0; i < 2; ++i)
      data_->qpos[r.finger_qpos[i]] = state[static_cast<std::size_t>(env::kStateGripper + i)];
    const std::size_t n_obj = std::min<std::size_t>(task_->free_bodies.size(), env::kStateObjects);
    for (std::size_t o = 0; o < n_obj; ++o) {
      const int adr = task_->free_bodies[o].qpos;
      if (adr < 0) continue;
      const float* src = state.data() + env::kStateObjectsAt + 7 * o;
      for (int k = 0; k < 7; ++k) data_->qpos[adr + k] = src[k];
      mju_normalize4(data_->qpos + adr + 3);  // a predicted quaternion is only nearly unit
    }
    int j = 0;
    for (const auto& f : task_->fixtures) {
      if (f.qpos < 0 || j >= env::kStateFixtureJoints) continue;
      data_->qpos[f.qpos] = state[static_cast<std::size_t>(env::kStateFixturesAt + j)];
      ++j;
    }
    std::fill(data_->qvel, data_->qvel + m->nv, 0.0);
    guarded_forward(m, data_);
    const SceneView view(*task_, data_);
    env::Judgement out;
    out.success = success_.evaluate(view, held_);
    out.reward = reward_.evaluate(view, out.success);
    return out;
  }

 private:
  std::shared_ptr<const CompiledTask> task_;
  Predicate success_;
  Reward reward_;
  std::vector<int> held_;
  mjData* data_ = nullptr;
};

}  // namespace

std::unique_ptr<env::StateJudge> TaskEnv::make_state_judge() const {
  if (episode_index_ < 0) throw Error("TaskEnv::make_state_judge: expected reset() first");
  return std::make_unique<TaskStateJudge>(task_, data_);
}

// ---- rendering ----

void TaskEnv::ensure_renderer() {
  if (renderer_) return;
  if (!render_model_) {
    render_model_ = mj_copyModel(nullptr, task_->model.get());
    if (!render_model_) throw Error("TaskEnv: could not copy the model for rendering");
    if (episode_index_ >= 0)
      for (std::size_t i = 0; i < task_->objects.size(); ++i) {
        const Rgba& c = task_->def.objects[i].colors[static_cast<std::size_t>(colors_[i])].rgba;
        std::copy(c.begin(), c.end(), render_model_->geom_rgba + 4 * task_->objects[i].geom);
      }
    if (options_.erase) hide_robot_and_objects(*task_, render_model_);
  }
  RendererOptions ro;
  ro.width = options_.width;
  ro.height = options_.height;
  ro.shadows = options_.shadows;
  renderer_ = std::make_unique<Renderer>(render_model_, ro);
}

void TaskEnv::place_camera() {
  if (camera_offset_ == std::array<double, 3>{0, 0, 0}) return;
  // The physics computed the fixed camera's pose from the shared model; the jittered pose replaces it in
  // this env's data only (nothing in the physics reads a camera).
  Vec3 pos = kAgentviewPos, look = kAgentviewLookat;
  for (const auto& c : task_->def.cameras)
    if (c.name == "agentview") pos = c.pos, look = c.lookat;
  for (int k = 0; k < 3; ++k) pos[static_cast<std::size_t>(k)] += camera_offset_[static_cast<std::size_t>(k)];
  const auto xy = camera_xyaxes(pos, look);
  const double z[3] = {xy[1] * xy[5] - xy[2] * xy[4], xy[2] * xy[3] - xy[0] * xy[5],
                       xy[0] * xy[4] - xy[1] * xy[3]};
  const int cam = task_->agentview_camera;
  for (int r = 0; r < 3; ++r) {
    data_->cam_xpos[3 * cam + r] = pos[static_cast<std::size_t>(r)];
    // Row-major rotation whose columns are the camera's x (right), y (up) and z (backwards) axes.
    data_->cam_xmat[9 * cam + 3 * r + 0] = xy[static_cast<std::size_t>(r)];
    data_->cam_xmat[9 * cam + 3 * r + 1] = xy[static_cast<std::size_t>(3 + r)];
    data_->cam_xmat[9 * cam + 3 * r + 2] = z[r];
  }
}

void TaskEnv::render_cameras(Dict& obs) {
  ensure_renderer();
  place_camera();
  const std::int64_t h = options_.height, w = options_.width;
  for (std::size_t k = 0; k < camera_ids_.size(); ++k) {
    Array rgb(DType::kUInt8, {h, w, 3});
    Array depth;
    if (options_.depth) depth = Array(DType::kFloat32, {h, w});
    renderer_->render(data_, camera_ids_[k], rgb.data<std::uint8_t>(),
                      options_.depth ? depth.data<float>() : nullptr);
    obs[options_.cameras[k] + "_rgb"] = rgb;
    if (options_.depth) obs[options_.cameras[k] + "_depth"] = depth;
  }
}

Array TaskEnv::render() {
  if (closed_ || episode_index_ < 0) return {};
  ensure_renderer();
  place_camera();
  const std::int64_t h = options_.height, w = options_.width;
  std::vector<int> cams = camera_ids_;
  if (cams.empty()) cams.push_back(task_->agentview_camera);
  const std::int64_t n = static_cast<std::int64_t>(cams.size());
  Array frame(DType::kUInt8, {h, w * n, 3});
  std::vector<std::uint8_t> buf(static_cast<std::size_t>(h * w * 3));
  for (std::int64_t k = 0; k < n; ++k) {
    renderer_->render(data_, cams[static_cast<std::size_t>(k)], buf.data());
    for (std::int64_t row = 0; row < h; ++row)
      std::memcpy(frame.data<std::uint8_t>() + (row * w * n + k * w) * 3, buf.data() + row * w * 3,
                  static_cast<std::size_t>(w * 3));
  }
  return frame;
}

}  // namespace a2w::tasks
