#include "a2w/tasks/compiled_task.h"

#include <cmath>
#include <map>
#include <mutex>

#include "a2w/env/error.h"
#include "a2w/tasks/mujoco_boundary.h"
#include "a2w/tasks/scene.h"

namespace a2w::tasks {

bool parse_entity(const TaskDef& task, const std::string& name, EntityRef& out) {
  if (name == "tcp") return out = {EntityRef::Kind::kTcp, -1}, true;
  if (name == "gripper") return out = {EntityRef::Kind::kGripper, -1}, true;
  if (name == "table") return out = {EntityRef::Kind::kTable, -1}, true;
  if (const int o = task.object_index(name); o >= 0) return out = {EntityRef::Kind::kObject, o}, true;
  const auto dot = name.find('.');
  const int f = task.fixture_index(name.substr(0, dot));
  if (f < 0) return false;
  if (dot == std::string::npos) return out = {EntityRef::Kind::kFixture, f}, true;
  const std::string part = name.substr(dot + 1);
  if (part == "base") return out = {EntityRef::Kind::kFixtureBase, f}, true;
  if (part == "handle" && task.fixtures[static_cast<std::size_t>(f)].kind == FixtureKind::kDrawer)
    return out = {EntityRef::Kind::kFixture, f}, true;
  return false;
}

std::vector<std::string> entity_names(const TaskDef& task) {
  std::vector<std::string> v;
  for (const auto& o : task.objects) v.push_back(o.name);
  for (const auto& f : task.fixtures) {
    v.push_back(f.name);
    if (f.kind == FixtureKind::kDrawer) v.push_back(f.name + ".handle");
    v.push_back(f.name + ".base");
  }
  for (const char* s : {"tcp", "gripper", "table"}) v.push_back(s);
  return v;
}

namespace {

int need(const mjModel* m, int type, const std::string& name, const TaskDef& def) {
  const int id = mj_name2id(m, type, name.c_str());
  if (id < 0)
    throw Error(def.file + ": the compiled scene lacks '" + name + "' (a scene fragment may clash)");
  return id;
}

std::shared_ptr<CompiledTask> build(const TaskDef& def, const ModelOptions& options, std::string mjcf) {
  auto t = std::make_shared<CompiledTask>();
  t->def = def;
  t->options = options;
  t->mjcf = std::move(mjcf);
  std::string what = def.file.empty() ? def.name : def.file;
  if (!def.scene_mjcf.empty()) what += " (scene fragment at " + def.scene_loc.str() + ")";
  mjModel* m = load_model_from_xml(t->mjcf, what);
  t->model =
      std::shared_ptr<const mjModel>(m, [](const mjModel* p) { mj_deleteModel(const_cast<mjModel*>(p)); });
  t->robot = resolve_robot(m);
  t->substeps = kSubsteps;
  for (const auto& o : def.objects) {
    ObjectIds ids;
    const std::string nm = "obj_" + o.name;
    ids.body = need(m, mjOBJ_BODY, nm, def);
    ids.geom = need(m, mjOBJ_GEOM, nm, def);
    const int j = need(m, mjOBJ_JOINT, nm, def);
    ids.qpos = m->jnt_qposadr[j];
    ids.dof = m->jnt_dofadr[j];
    ids.half = o.half_extents();
    t->objects.push_back(ids);
  }
  for (const auto& f : def.fixtures) {
    FixtureIds ids;
    const std::string nm = "fx_" + f.name;
    ids.body = need(m, mjOBJ_BODY, nm, def);
    ids.mocap = m->body_mocapid[ids.body];
    ids.point_site = need(m, mjOBJ_SITE, nm + "_point", def);
    ids.first_body = ids.last_body = ids.body;
    if (f.has_joint()) {
      ids.joint = need(m, mjOBJ_JOINT, nm + "_joint", def);
      ids.qpos = m->jnt_qposadr[ids.joint];
      ids.dof = m->jnt_dofadr[ids.joint];
      ids.moving_body = need(m, mjOBJ_BODY, nm + "_moving", def);
      ids.last_body = ids.moving_body;
    }
    t->fixtures.push_back(ids);
  }
  t->table_geom = need(m, mjOBJ_GEOM, "table", def);
  t->agentview_camera = need(m, mjOBJ_CAMERA, "agentview", def);
  t->eye_in_hand_camera = need(m, mjOBJ_CAMERA, "eye_in_hand", def);
  return t;
}

}  // namespace

std::shared_ptr<const CompiledTask> compile_task(const TaskDef& def, const ModelOptions& options) {
  install_mujoco_error_handlers();
  SceneOptions so;
  so.offscreen_width = options.offscreen_width;
  so.offscreen_height = options.offscreen_height;
  std::string mjcf = build_scene_mjcf(def, so);
  // The generated MJCF and the predicate pin down everything the compiled task holds.
  const std::string key = def.file + '\n' + def.name + '\n' + def.success_text + '\n' + mjcf;
  static std::mutex mutex;
  static std::map<std::string, std::weak_ptr<const CompiledTask>> cache;
  std::lock_guard<std::mutex> lock(mutex);
  if (auto it = cache.find(key); it != cache.end())
    if (auto sp = it->second.lock()) return sp;
  std::shared_ptr<const CompiledTask> t = build(def, options, std::move(mjcf));
  cache[key] = t;
  return t;
}

// ---- SceneView ----

Vec3 SceneView::point(const EntityRef& e) const {
  const mjModel* m = t_.model.get();
  (void)m;
  const mjtNum* p = nullptr;
  switch (e.kind) {
    case EntityRef::Kind::kObject:
      p = d_->xpos + 3 * t_.objects[static_cast<std::size_t>(e.index)].body;
      break;
    case EntityRef::Kind::kFixture:
      p = d_->site_xpos + 3 * t_.fixtures[static_cast<std::size_t>(e.index)].point_site;
      break;
    case EntityRef::Kind::kFixtureBase:
      p = d_->xpos + 3 * t_.fixtures[static_cast<std::size_t>(e.index)].body;
      break;
    case EntityRef::Kind::kTcp:
    case EntityRef::Kind::kGripper:
      p = d_->site_xpos + 3 * t_.robot.grip_site;
      break;
    case EntityRef::Kind::kTable:
      return {0, 0, 0};
  }
  return {p[0], p[1], p[2]};
}

Vec3 SceneView::tcp() const {
  const mjtNum* p = d_->site_xpos + 3 * t_.robot.grip_site;
  return {p[0], p[1], p[2]};
}

const mjtNum* SceneView::tcp_xmat() const {
  return d_->site_xmat + 9 * t_.robot.grip_site;
}

double SceneView::gripper_width() const {
  return d_->qpos[t_.robot.finger_qpos[0]] + d_->qpos[t_.robot.finger_qpos[1]];
}

double SceneView::joint(int fixture) const {
  const int adr = t_.fixtures[static_cast<std::size_t>(fixture)].qpos;
  return adr < 0 ? 0.0 : d_->qpos[adr];
}

Vec3 SceneView::object_pos(int object) const {
  const mjtNum* p = d_->xpos + 3 * t_.objects[static_cast<std::size_t>(object)].body;
  return {p[0], p[1], p[2]};
}

std::array<double, 4> SceneView::object_quat(int object) const {
  const mjtNum* q = d_->xquat + 4 * t_.objects[static_cast<std::size_t>(object)].body;
  return {q[0], q[1], q[2], q[3]};
}

double SceneView::object_half_height(int object) const {
  const auto& o = t_.objects[static_cast<std::size_t>(object)];
  const mjtNum* R = d_->xmat + 9 * o.body;
  // Row 2 of R projects the body axes on world z; for a sphere every axis gives the radius.
  return std::abs(R[6]) * o.half[0] + std::abs(R[7]) * o.half[1] + std::abs(R[8]) * o.half[2];
}

double SceneView::object_bottom(int object) const {
  const auto& def = t_.def.objects[static_cast<std::size_t>(object)];
  const double z = d_->xpos[3 * t_.objects[static_cast<std::size_t>(object)].body + 2];
  if (def.shape == Shape::kSphere) return z - def.size[0];
  return z - object_half_height(object);
}

double SceneView::fixture_yaw(int fixture) const {
  const mjtNum* R = d_->xmat + 9 * t_.fixtures[static_cast<std::size_t>(fixture)].body;
  return std::atan2(R[3], R[0]);
}

bool SceneView::body_in(int body, const EntityRef& e) const {
  switch (e.kind) {
    case EntityRef::Kind::kObject:
      return body == t_.objects[static_cast<std::size_t>(e.index)].body;
    case EntityRef::Kind::kFixture:
    case EntityRef::Kind::kFixtureBase: {
      const auto& f = t_.fixtures[static_cast<std::size_t>(e.index)];
      return body >= f.first_body && body <= f.last_body;
    }
    case EntityRef::Kind::kTcp:
    case EntityRef::Kind::kGripper:
      return body == t_.robot.hand_body || body == t_.robot.finger_body[0] || body == t_.robot.finger_body[1];
    case EntityRef::Kind::kTable:
      return false;
  }
  return false;
}

bool SceneView::touching(const EntityRef& a, const EntityRef& b) const {
  const mjModel* m = t_.model.get();
  auto in = [&](int geom, const EntityRef& e) {
    if (e.kind == EntityRef::Kind::kTable) return geom == t_.table_geom;
    return body_in(m->geom_bodyid[geom], e);
  };
  for (int i = 0; i < d_->ncon; ++i) {
    const mjContact& c = d_->contact[i];
    if ((in(c.geom1, a) && in(c.geom2, b)) || (in(c.geom1, b) && in(c.geom2, a))) return true;
  }
  return false;
}

bool SceneView::grasped(int object) const {
  const mjModel* m = t_.model.get();
  const int ob = t_.objects[static_cast<std::size_t>(object)].body;
  bool left = false, right = false;
  for (int i = 0; i < d_->ncon; ++i) {
    const mjContact& c = d_->contact[i];
    const int b1 = m->geom_bodyid[c.geom1], b2 = m->geom_bodyid[c.geom2];
    const int other = b1 == ob ? b2 : b2 == ob ? b1 : -1;
    if (other == t_.robot.finger_body[0]) left = true;
    if (other == t_.robot.finger_body[1]) right = true;
  }
  return left && right;
}

bool SceneView::inside(int object, int fixture) const {
  const auto& f = t_.fixtures[static_cast<std::size_t>(fixture)];
  const auto& def = t_.def.fixtures[static_cast<std::size_t>(fixture)];
  const Vec3 p = object_pos(object);
  // Object centre in the frame of the fixture's base (or the drawer's moving tray).
  const int frame = def.kind == FixtureKind::kDrawer ? f.moving_body : f.body;
  const mjtNum* o = d_->xpos + 3 * frame;
  const mjtNum* R = d_->xmat + 9 * frame;
  const double w[3] = {p[0] - o[0], p[1] - o[1], p[2] - o[2]};
  const double lx = R[0] * w[0] + R[3] * w[1] + R[6] * w[2];
  const double ly = R[1] * w[0] + R[4] * w[1] + R[7] * w[2];
  const double lz = R[2] * w[0] + R[5] * w[1] + R[8] * w[2];
  switch (def.kind) {
    case FixtureKind::kBin:
      return std::abs(lx) < def.size[0] && std::abs(ly) < def.size[1] && lz > 0 && lz < def.size[2] + 0.03;
    case FixtureKind::kRegion:
      return std::abs(lx) < def.size[0] && std::abs(ly) < def.size[1] && lz > -0.01 && lz < 0.15;
    case FixtureKind::kDrawer: {
      const double hx = def.size[0], hy = def.size[1], hz = def.size[2];
      return lx > -hx + 0.01 && lx < hx - 0.02 && std::abs(ly) < hy - 0.015 && lz > 0 && lz < 2 * hz;
    }
    default:
      return false;
  }
}

bool SceneView::on_top(int a, int b) const {
  const Vec3 pa = object_pos(a), pb = object_pos(b);
  const double expected = object_half_height(a) + object_half_height(b);
  if (std::abs(pa[2] - pb[2] - expected) > 0.012) return false;
  // a's centre above b's top face, in b's frame (yaw).
  const mjtNum* R = d_->xmat + 9 * t_.objects[static_cast<std::size_t>(b)].body;
  const double w[3] = {pa[0] - pb[0], pa[1] - pb[1], pa[2] - pb[2]};
  const double lx = R[0] * w[0] + R[3] * w[1] + R[6] * w[2];
  const double ly = R[1] * w[0] + R[4] * w[1] + R[7] * w[2];
  const Vec3& hb = t_.objects[static_cast<std::size_t>(b)].half;
  return std::abs(lx) < hb[0] && std::abs(ly) < hb[1];
}

}  // namespace a2w::tasks
