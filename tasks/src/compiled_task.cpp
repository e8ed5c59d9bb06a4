#include "a2w/tasks/compiled_task.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>
#include <regex>

#include "a2w/env/error.h"
#include "a2w/tasks/mujoco_boundary.h"
#include "a2w/tasks/scene.h"

namespace a2w::tasks {

bool parse_entity(const TaskDef& task, const std::string& name, EntityRef& out) {
  if (name == "tcp") return out = {EntityRef::Kind::kTcp, -1}, true;
  if (name == "gripper") return out = {EntityRef::Kind::kGripper, -1}, true;
  if (name == "table") return out = {EntityRef::Kind::kTable, -1}, true;
  if (const int o = task.object_index(name); o >= 0) return out = {EntityRef::Kind::kObject, o}, true;
  if (const int i = task.include_index(name); i >= 0) return out = {EntityRef::Kind::kInclude, i}, true;
  const auto dot = name.find('.');
  if (dot == std::string::npos) {
    const int f = task.fixture_index(name);
    return f >= 0 && (out = {EntityRef::Kind::kFixture, f}, true);
  }
  const std::string head = name.substr(0, dot), part = name.substr(dot + 1);
  if (const int i = task.include_index(head); i >= 0) {
    const int e = task.element_index(i, part);
    return e >= 0 && (out = {EntityRef::Kind::kElement, e}, true);
  }
  const int f = task.fixture_index(head);
  if (f < 0) return false;
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
  for (const auto& i : task.includes)
    if (i.kind != IncludeDef::Kind::kRobot) v.push_back(i.name);
  for (const auto& e : task.elements)
    v.push_back(task.includes[static_cast<std::size_t>(e.include)].name + "." + e.name);
  for (const char* s : {"tcp", "gripper", "table"}) v.push_back(s);
  return v;
}

namespace {

bool listed(const std::vector<std::string>& v, const std::string& name) {
  return std::find(v.begin(), v.end(), name) != v.end();
}

}  // namespace

bool is_body_like(const TaskDef& task, const EntityRef& e) {
  switch (e.kind) {
    case EntityRef::Kind::kObject:
    case EntityRef::Kind::kInclude:
      return true;
    case EntityRef::Kind::kElement: {
      const ElementDef& el = task.elements[static_cast<std::size_t>(e.index)];
      const IncludedModel& m = task.includes[static_cast<std::size_t>(el.include)].model;
      return listed(m.bodies, el.name) || listed(m.geoms, el.name) || listed(m.sites, el.name);
    }
    default:
      return false;
  }
}

bool is_joint_like(const TaskDef& task, const EntityRef& e) {
  if (e.kind == EntityRef::Kind::kFixture)
    return task.fixtures[static_cast<std::size_t>(e.index)].has_joint();
  if (e.kind != EntityRef::Kind::kElement) return false;
  const ElementDef& el = task.elements[static_cast<std::size_t>(e.index)];
  const IncludedModel& m = task.includes[static_cast<std::size_t>(el.include)].model;
  for (std::size_t j = 0; j < m.joints.size(); ++j)
    if (m.joints[j] == el.name) return m.joint_types[j] == "hinge" || m.joint_types[j] == "slide";
  return false;
}

namespace {

int need(const mjModel* m, int type, const std::string& name, const TaskDef& def) {
  const int id = mj_name2id(m, type, name.c_str());
  if (id < 0)
    throw Error(def.file + ": the compiled scene lacks '" + name + "' (a scene fragment may clash)");
  return id;
}

// The last body of the subtree rooted at `root` (MuJoCo numbers bodies depth first).
int subtree_end(const mjModel* m, int root) {
  int last = root;
  for (int b = root + 1; b < m->nbody; ++b) {
    int p = b;
    while (p > root) p = m->body_parentid[p];
    if (p != root) break;
    last = b;
  }
  return last;
}

// The line number in a MuJoCo compiler message ("line 12", "line = 12", "Line number=12"), or 0.
int message_line(const std::string& msg) {
  static const std::regex re("[Ll]ine(?: number)?\\s*=?\\s*(\\d+)");
  std::smatch m;
  return std::regex_search(msg, m, re) ? std::stoi(m[1]) : 0;
}

// Turns a compile failure into a diagnostic at the place the user wrote: the line of the `scene`
// fragment, or of an included model file (compiled alone to find it), else the task file.
[[noreturn]] void compile_failed(const TaskDef& def, int fragment_line, const Error& e) {
  std::string msg = e.what();
  const std::string cut = "MuJoCo could not compile the scene: ";
  if (const auto at = msg.find(cut); at != std::string::npos) msg = msg.substr(at + cut.size());
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  for (auto& c : msg)
    if (c == '\n') c = ' ';
  const int line = message_line(msg);
  int fragment_lines = 0;
  for (char c : def.scene_mjcf) fragment_lines += c == '\n';
  if (fragment_line > 0 && line >= fragment_line && line <= fragment_line + fragment_lines) {
    SourceLoc l = def.scene_loc;
    l.line = def.scene_first_line + (line - fragment_line);
    l.column = 0;
    throw TaskFileError({{Diagnostic::Severity::kError, l, "scene: MuJoCo: " + msg}});
  }
  for (const auto& inc : def.includes) {
    char error[1024] = {0};
    struct Ctx {
      const char* path;
      char* error;
      mjModel* model;
    } ctx{inc.path.c_str(), error, nullptr};
    try {
      guarded_mujoco_call(
          "mj_loadXML",
          [](void* p) {
            auto* c = static_cast<Ctx*>(p);
            c->model = mj_loadXML(c->path, nullptr, c->error, 1024);
          },
          &ctx);
    } catch (const Error&) {
    }
    if (ctx.model) {
      mj_deleteModel(ctx.model);
      continue;
    }
    std::string own = error;
    while (!own.empty() && (own.back() == '\n' || own.back() == ' ')) own.pop_back();
    for (auto& c : own)
      if (c == '\n') c = ' ';
    throw TaskFileError(
        {{Diagnostic::Severity::kError, {inc.path, message_line(own), 0}, "MuJoCo: " + own},
         {Diagnostic::Severity::kError, inc.loc,
          "include '" + inc.name + "': its model does not compile (see the previous message)"}});
  }
  throw TaskFileError({{Diagnostic::Severity::kError,
                        {def.file, 0, 0},
                        "MuJoCo could not compile the scene: " + msg +
                            " (the line is in the generated scene: see `a2w tasks show ID --mjcf`)"}});
}

// Footprint and resting height of each included model, from its colliding geoms at the model's initial
// pose (object models upright: their free body's orientation set to identity).
void measure_includes(CompiledTask& t) {
  const mjModel* m = t.model.get();
  mjData* d = guarded_make_data(m);
  for (std::size_t i = 0; i < t.includes.size(); ++i)
    if (t.includes[i].qpos >= 0) {
      mjtNum* q = d->qpos + t.includes[i].qpos;
      q[0] = q[1] = q[2] = 0, q[3] = 1, q[4] = q[5] = q[6] = 0;
    }
  mj_kinematics(m, d);
  const SceneView view(t, d);
  for (auto& inc : t.includes) {
    const mjtNum* o = d->xpos + 3 * inc.body;
    double radius = 0, lowest = 0;
    bool any = false;
    for (int g = 0; g < m->ngeom; ++g) {
      const int b = m->geom_bodyid[g];
      if (b < inc.first_body || b > inc.last_body) continue;
      if (m->geom_contype[g] == 0 && m->geom_conaffinity[g] == 0) continue;
      const mjtNum* p = d->geom_xpos + 3 * g;
      radius = std::max(radius, std::hypot(p[0] - o[0], p[1] - o[1]) +
                                    std::max(view.geom_extent(g, 0), view.geom_extent(g, 1)));
      const double low = p[2] - o[2] - view.geom_extent(g, 2);
      lowest = any ? std::min(lowest, low) : low;
      any = true;
    }
    inc.radius = radius;
    inc.rest_z = -lowest;
  }
  mj_deleteData(d);
}

std::shared_ptr<CompiledTask> build(const TaskDef& def, const ModelOptions& options, std::string mjcf) {
  auto t = std::make_shared<CompiledTask>();
  t->def = def;
  t->options = options;
  t->mjcf = std::move(mjcf);
  if (!def.scene_mjcf.empty()) {
    const auto at = t->mjcf.find("<!-- scene fragment of the task file -->");
    if (at != std::string::npos)
      t->scene_fragment_line =
          2 + static_cast<int>(
                  std::count(t->mjcf.begin(), t->mjcf.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
  }
  std::string what = def.file.empty() ? def.name : def.file;
  mjModel* m = nullptr;
  try {
    m = load_model_from_xml(t->mjcf, what);
  } catch (const Error& e) {
    compile_failed(def, t->scene_fragment_line, e);
  }
  t->model =
      std::shared_ptr<const mjModel>(m, [](const mjModel* p) { mj_deleteModel(const_cast<mjModel*>(p)); });
  t->substeps = kSubsteps;
  for (const auto& inc : def.includes) {
    IncludeIds ids;
    if (inc.kind == IncludeDef::Kind::kObject) {
      ids.body = need(m, mjOBJ_BODY, inc.name + "/" + inc.model.root_body, def);
      const int j = m->body_jntadr[ids.body];
      ids.qpos = m->jnt_qposadr[j];
      ids.dof = m->jnt_dofadr[j];
    } else {
      ids.body = need(m, mjOBJ_BODY, "inc_" + inc.name, def);
      ids.mocap = m->body_mocapid[ids.body];
    }
    ids.first_body = ids.body;
    ids.last_body = subtree_end(m, ids.body);
    t->includes.push_back(ids);
  }
  for (const auto& el : def.elements) {
    ElementIds ids;
    const std::string nm = def.includes[static_cast<std::size_t>(el.include)].name + "/" + el.name;
    ids.body = mj_name2id(m, mjOBJ_BODY, nm.c_str());
    ids.site = mj_name2id(m, mjOBJ_SITE, nm.c_str());
    ids.geom = mj_name2id(m, mjOBJ_GEOM, nm.c_str());
    ids.joint = mj_name2id(m, mjOBJ_JOINT, nm.c_str());
    if (ids.body >= 0) ids.last_body = subtree_end(m, ids.body);
    if (ids.joint >= 0) ids.qpos = m->jnt_qposadr[ids.joint];
    t->elements.push_back(ids);
  }
  if (def.robot) {
    const IncludeDef& inc = def.includes[static_cast<std::size_t>(def.robot->include)];
    const IncludeIds& ids = t->includes[static_cast<std::size_t>(def.robot->include)];
    try {
      t->robot = resolve_robot(m, *def.robot, inc.name + "/", ids.first_body, ids.last_body);
    } catch (const InvalidArgument& e) {
      std::string msg = e.what();
      const std::string head = def.robot->loc.str() + ": ";
      if (msg.rfind(head, 0) == 0) msg = msg.substr(head.size());
      throw TaskFileError({{Diagnostic::Severity::kError, def.robot->loc, msg}});
    }
  } else {
    t->robot = resolve_robot(m);
  }
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
    t->free_bodies.push_back({o.name, ids.body, ids.qpos});
  }
  for (std::size_t i = 0; i < def.includes.size(); ++i)
    if (def.includes[i].kind == IncludeDef::Kind::kObject)
      t->free_bodies.push_back({def.includes[i].name, t->includes[i].body, t->includes[i].qpos});
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
  t->eye_in_hand_camera = t->robot.eye_in_hand_camera;
  if (!def.includes.empty()) measure_includes(*t);
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
  std::string robot;
  if (def.robot) {
    const RobotDef& r = *def.robot;
    robot = r.ee_site + ' ' + r.camera;
    for (const auto* v : {&r.arm_joints, &r.arm_actuators, &r.gripper_actuators, &r.finger_joints})
      for (const auto& x : *v) robot += ' ' + x;
    for (double h : r.home) robot += ' ' + std::to_string(h);
    robot += ' ' + std::to_string(r.gripper_open.value_or(-1e9)) + ' ' +
             std::to_string(r.gripper_closed.value_or(-1e9));
  }
  const std::string key =
      def.file + '\n' + def.name + '\n' + def.success_text + '\n' + def.source + '\n' + robot + '\n' + mjcf;
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
    case EntityRef::Kind::kInclude:
      p = d_->xpos + 3 * t_.includes[static_cast<std::size_t>(e.index)].body;
      break;
    case EntityRef::Kind::kElement: {
      const ElementIds& el = t_.elements[static_cast<std::size_t>(e.index)];
      p = el.site >= 0   ? d_->site_xpos + 3 * el.site
          : el.body >= 0 ? d_->xpos + 3 * el.body
          : el.geom >= 0 ? d_->geom_xpos + 3 * el.geom
                         : d_->xanchor + 3 * el.joint;
      break;
    }
  }
  return {p[0], p[1], p[2]};
}

std::array<double, 9> SceneView::frame(const EntityRef& e) const {
  const mjtNum* R = nullptr;
  switch (e.kind) {
    case EntityRef::Kind::kObject:
      R = d_->xmat + 9 * t_.objects[static_cast<std::size_t>(e.index)].body;
      break;
    case EntityRef::Kind::kFixture:
    case EntityRef::Kind::kFixtureBase:
      R = d_->xmat + 9 * t_.fixtures[static_cast<std::size_t>(e.index)].body;
      break;
    case EntityRef::Kind::kTcp:
    case EntityRef::Kind::kGripper:
      R = d_->site_xmat + 9 * t_.robot.grip_site;
      break;
    case EntityRef::Kind::kTable:
      return {1, 0, 0, 0, 1, 0, 0, 0, 1};
    case EntityRef::Kind::kInclude:
      R = d_->xmat + 9 * t_.includes[static_cast<std::size_t>(e.index)].body;
      break;
    case EntityRef::Kind::kElement: {
      const ElementIds& el = t_.elements[static_cast<std::size_t>(e.index)];
      const mjModel* m = t_.model.get();
      R = el.site >= 0   ? d_->site_xmat + 9 * el.site
          : el.body >= 0 ? d_->xmat + 9 * el.body
          : el.geom >= 0 ? d_->geom_xmat + 9 * el.geom
                         : d_->xmat + 9 * m->jnt_bodyid[el.joint];
      break;
    }
  }
  std::array<double, 9> out{};
  std::copy(R, R + 9, out.begin());
  return out;
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
    case EntityRef::Kind::kInclude: {
      const auto& i = t_.includes[static_cast<std::size_t>(e.index)];
      return body >= i.first_body && body <= i.last_body;
    }
    case EntityRef::Kind::kElement: {
      const ElementIds& el = t_.elements[static_cast<std::size_t>(e.index)];
      if (el.body >= 0) return body >= el.body && body <= el.last_body;
      if (el.site >= 0) return body == t_.model->site_bodyid[el.site];
      if (el.joint >= 0 && el.geom < 0) return body == t_.model->jnt_bodyid[el.joint];
      return false;
    }
  }
  return false;
}

bool SceneView::owns_geom(const EntityRef& e, int g) const {
  if (e.kind == EntityRef::Kind::kTable) return g == t_.table_geom;
  if (e.kind == EntityRef::Kind::kElement) {
    const ElementIds& el = t_.elements[static_cast<std::size_t>(e.index)];
    if (el.body < 0 && el.site < 0 && el.geom >= 0) return g == el.geom;
  }
  return body_in(t_.model->geom_bodyid[g], e);
}

bool SceneView::touching(const EntityRef& a, const EntityRef& b) const {
  for (int i = 0; i < d_->ncon; ++i) {
    const mjContact& c = d_->contact[i];
    if ((owns_geom(a, c.geom1) && owns_geom(b, c.geom2)) || (owns_geom(a, c.geom2) && owns_geom(b, c.geom1)))
      return true;
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

bool SceneView::grasped(const EntityRef& e) const {
  if (e.kind == EntityRef::Kind::kObject) return grasped(e.index);
  const mjModel* m = t_.model.get();
  bool left = false, right = false;
  for (int i = 0; i < d_->ncon; ++i) {
    const mjContact& c = d_->contact[i];
    for (const auto& [mine, other] : {std::pair{c.geom1, c.geom2}, std::pair{c.geom2, c.geom1}}) {
      if (!owns_geom(e, mine)) continue;
      left |= m->geom_bodyid[other] == t_.robot.finger_body[0];
      right |= m->geom_bodyid[other] == t_.robot.finger_body[1];
    }
  }
  return left && right;
}

double SceneView::geom_extent(int g, int axis) const {
  const mjModel* m = t_.model.get();
  const mjtNum* R = d_->geom_xmat + 9 * g + 3 * axis;  // row `axis`: the world axis in geom coordinates
  const mjtNum* size = m->geom_size + 3 * g;
  switch (m->geom_type[g]) {
    case mjGEOM_SPHERE:
      return size[0];
    case mjGEOM_CAPSULE:
      return size[0] + std::abs(R[2]) * size[1];
    case mjGEOM_CYLINDER:
      return std::abs(R[2]) * size[1] + size[0] * std::sqrt(std::max(0.0, 1.0 - R[2] * R[2]));
    case mjGEOM_BOX:
      return std::abs(R[0]) * size[0] + std::abs(R[1]) * size[1] + std::abs(R[2]) * size[2];
    case mjGEOM_ELLIPSOID:
      return std::sqrt(R[0] * R[0] * size[0] * size[0] + R[1] * R[1] * size[1] * size[1] +
                       R[2] * R[2] * size[2] * size[2]);
    default:  // meshes, height fields: the bounding sphere
      return m->geom_rbound[g];
  }
}

namespace {

// Geoms that take part in contacts (visual-only ones do not count for heights and footprints).
bool colliding(const mjModel* m, int g) {
  return (m->geom_contype[g] != 0 || m->geom_conaffinity[g] != 0) && m->geom_type[g] != mjGEOM_PLANE;
}

}  // namespace

double SceneView::bottom(const EntityRef& e) const {
  if (e.kind == EntityRef::Kind::kObject) return object_bottom(e.index);
  const mjModel* m = t_.model.get();
  double lo = 1e9;
  for (int g = 0; g < m->ngeom; ++g)
    if (colliding(m, g) && owns_geom(e, g)) lo = std::min(lo, d_->geom_xpos[3 * g + 2] - geom_extent(g, 2));
  return lo < 1e9 ? lo : point(e)[2];
}

double SceneView::top(const EntityRef& e) const {
  const mjModel* m = t_.model.get();
  double hi = -1e9;
  for (int g = 0; g < m->ngeom; ++g)
    if (colliding(m, g) && owns_geom(e, g)) hi = std::max(hi, d_->geom_xpos[3 * g + 2] + geom_extent(g, 2));
  return hi > -1e9 ? hi : point(e)[2];
}

double SceneView::joint_value(const EntityRef& e) const {
  if (e.kind == EntityRef::Kind::kFixture || e.kind == EntityRef::Kind::kFixtureBase) return joint(e.index);
  if (e.kind == EntityRef::Kind::kElement) {
    const ElementIds& el = t_.elements[static_cast<std::size_t>(e.index)];
    if (el.qpos >= 0) return d_->qpos[el.qpos];
  }
  return 0.0;
}

bool SceneView::inside(const EntityRef& e, int fixture) const {
  if (e.kind == EntityRef::Kind::kObject) return inside(e.index, fixture);
  const auto& f = t_.fixtures[static_cast<std::size_t>(fixture)];
  const auto& def = t_.def.fixtures[static_cast<std::size_t>(fixture)];
  const Vec3 p = point(e);
  const int frame_body = def.kind == FixtureKind::kDrawer ? f.moving_body : f.body;
  const mjtNum* o = d_->xpos + 3 * frame_body;
  const mjtNum* R = d_->xmat + 9 * frame_body;
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

bool SceneView::on_top(const EntityRef& a, const EntityRef& b) const {
  if (a.kind == EntityRef::Kind::kObject && b.kind == EntityRef::Kind::kObject)
    return on_top(a.index, b.index);
  if (std::abs(bottom(a) - top(b)) > 0.012) return false;
  // a's centre over the world-aligned box around b's colliding geoms.
  const mjModel* m = t_.model.get();
  const Vec3 pa = point(a);
  double lo[2] = {1e9, 1e9}, hi[2] = {-1e9, -1e9};
  for (int g = 0; g < m->ngeom; ++g) {
    if (!colliding(m, g) || !owns_geom(b, g)) continue;
    for (int k = 0; k < 2; ++k) {
      const double ext = geom_extent(g, k);
      lo[k] = std::min(lo[k], d_->geom_xpos[3 * g + k] - ext);
      hi[k] = std::max(hi[k], d_->geom_xpos[3 * g + k] + ext);
    }
  }
  return pa[0] > lo[0] && pa[0] < hi[0] && pa[1] > lo[1] && pa[1] < hi[1];
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
