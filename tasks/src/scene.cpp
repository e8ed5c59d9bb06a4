#include "a2w/tasks/scene.h"

#include <cmath>
#include <cstdio>
#include <sstream>

#include "a2w/tasks/robot.h"

namespace a2w::tasks {
namespace {

// Formats numbers with enough digits to survive the round trip through MJCF text.
std::string n(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.9g", v);
  return buf;
}
std::string v3(double a, double b, double c) {
  return n(a) + " " + n(b) + " " + n(c);
}
std::string rgba(const Rgba& c) {
  return n(c[0]) + " " + n(c[1]) + " " + n(c[2]) + " " + n(c[3]);
}

constexpr const char* kObjectClass = R"(contype="4" conaffinity="15" condim="4" group="1")";
constexpr const char* kFixtureClass = R"(contype="8" conaffinity="6" condim="3" group="1")";
constexpr const char* kVisualOnly = R"(contype="0" conaffinity="0" group="1")";

void box(std::ostream& o, const std::string& name, const char* cls, const Vec3& pos, const Vec3& half,
         const Rgba& c, double mass = -1) {
  o << "        <geom" << (name.empty() ? "" : " name=\"" + name + "\"") << " type=\"box\" " << cls
    << " pos=\"" << v3(pos[0], pos[1], pos[2]) << "\" size=\"" << v3(half[0], half[1], half[2])
    << "\" rgba=\"" << rgba(c) << "\"" << (mass > 0 ? " mass=\"" + n(mass) + "\"" : "") << "/>\n";
}

void write_object(std::ostream& o, const ObjectDef& obj) {
  const std::string nm = "obj_" + obj.name;
  const Vec3 h = obj.half_extents();
  // Placed at the centre of its x/y range, resting on the table; reset() draws the real pose.
  o << "    <body name=\"" << nm << "\" pos=\""
    << v3((obj.x[0] + obj.x[1]) / 2, (obj.y[0] + obj.y[1]) / 2, h[2]) << "\">\n";
  o << "      <freejoint name=\"" << nm << "\"/>\n";
  o << "      <geom name=\"" << nm << "\" " << kObjectClass << " friction=\"" << n(obj.friction)
    << " 0.01 0.0005\" mass=\"" << n(obj.mass) << "\" rgba=\"" << rgba(obj.colors.front().rgba) << "\" ";
  switch (obj.shape) {
    case Shape::kBox:
      o << "type=\"box\" size=\"" << v3(obj.size[0], obj.size[1], obj.size[2]) << "\"";
      break;
    case Shape::kCylinder:
      o << "type=\"cylinder\" size=\"" << n(obj.size[0]) << " " << n(obj.size[1]) << "\"";
      break;
    case Shape::kSphere:
      o << "type=\"sphere\" size=\"" << n(obj.size[0]) << "\"";
      break;
  }
  o << "/>\n    </body>\n";
}

void write_drawer(std::ostream& o, const FixtureDef& f, const std::string& nm) {
  const double hx = f.size[0], hy = f.size[1], hz = f.size[2], w = 0.01;
  const Rgba body = f.rgba;
  const Rgba dark{body[0] * 0.7f, body[1] * 0.7f, body[2] * 0.7f, 1};
  const Rgba metal{0.7f, 0.7f, 0.75f, 1};
  // Cabinet: open towards local -x.
  box(o, nm + "_bottom", kFixtureClass, {0, 0, w / 2}, {hx, hy, w / 2}, body);
  box(o, nm + "_top", kFixtureClass, {0, 0, 2 * hz - w / 2}, {hx, hy, w / 2}, body);
  box(o, nm + "_left", kFixtureClass, {0, hy - w / 2, hz}, {hx, w / 2, hz}, body);
  box(o, nm + "_right", kFixtureClass, {0, -(hy - w / 2), hz}, {hx, w / 2, hz}, body);
  box(o, nm + "_back", kFixtureClass, {hx - w / 2, 0, hz}, {w / 2, hy, hz}, body);
  // The drawer slides along local -x: joint position = how far it is open (m).
  const double standoff = 0.07, bar_half = 0.07, handle_z = hz;
  const double inner_y = hy - w - 0.003, tray_len = 2 * hx - 2 * w - 0.01, tray_h = 2 * hz - 2 * w - 0.012;
  const double tray_cx = -hx + w + tray_len / 2, tray_z0 = w + 0.002;
  o << "      <body name=\"" << nm << "_moving\">\n";
  o << "        <inertial pos=\"" << v3(tray_cx, 0, hz)
    << "\" mass=\"0.6\" diaginertia=\"0.005 0.005 0.005\"/>\n";
  o << "        <joint name=\"" << nm << "_joint\" type=\"slide\" axis=\"-1 0 0\" limited=\"true\" range=\"0 "
    << n(f.travel) << "\" damping=\"20\" frictionloss=\"2\"/>\n";
  box(o, nm + "_front", kFixtureClass, {-hx + w / 2, 0, hz}, {w / 2, hy - 0.002, hz - 0.002}, dark);
  box(o, nm + "_tray_bottom", kFixtureClass, {tray_cx, 0, tray_z0 + w / 4},
      {tray_len / 2 - w / 2, inner_y, w / 4}, dark);
  box(o, nm + "_tray_l", kFixtureClass, {tray_cx, inner_y - w / 4, tray_z0 + tray_h / 2},
      {tray_len / 2 - w / 2, w / 4, tray_h / 2}, dark);
  box(o, nm + "_tray_r", kFixtureClass, {tray_cx, -(inner_y - w / 4), tray_z0 + tray_h / 2},
      {tray_len / 2 - w / 2, w / 4, tray_h / 2}, dark);
  box(o, nm + "_tray_back", kFixtureClass, {tray_cx + tray_len / 2 - w / 4, 0, tray_z0 + tray_h / 2},
      {w / 4, inner_y, tray_h / 2}, dark);
  // Handle: a bar along y held 7 cm in front of the drawer, so closed fingers fit behind it to pull.
  o << "        <geom name=\"" << nm << "_handle\" type=\"capsule\" " << kFixtureClass << " fromto=\""
    << v3(-hx - standoff, -bar_half, handle_z) << " " << v3(-hx - standoff, bar_half, handle_z)
    << "\" size=\"0.01\" rgba=\"" << rgba(metal) << "\"/>\n";
  for (double s : {-1.0, 1.0})
    box(o, "", kFixtureClass, {-hx - standoff / 2, s * (bar_half - 0.006), handle_z},
        {standoff / 2, 0.006, 0.006}, metal);
  o << "        <site name=\"" << nm << "_point\" pos=\"" << v3(-hx - standoff, 0, handle_z)
    << "\" size=\"0.005\" group=\"4\"/>\n";
  o << "      </body>\n";
}

void write_button(std::ostream& o, const FixtureDef& f, const std::string& nm) {
  const double r = f.size[0];
  const Rgba housing{0.25f, 0.25f, 0.28f, 1};
  o << "      <geom name=\"" << nm << "_housing\" type=\"cylinder\" " << kFixtureClass
    << " pos=\"0 0 0.01\" size=\"" << n(r + 0.015) << " 0.01\" rgba=\"" << rgba(housing) << "\"/>\n";
  // The cap sits on a spring (springref above the upper limit keeps it pressed against the stop at rest).
  o << "      <body name=\"" << nm << "_moving\" pos=\"0 0 0.02\">\n";
  o << "        <inertial pos=\"0 0 0.01\" mass=\"0.05\" diaginertia=\"2e-5 2e-5 2e-5\"/>\n";
  o << "        <joint name=\"" << nm << "_joint\" type=\"slide\" axis=\"0 0 1\" limited=\"true\" range=\""
    << n(-f.travel) << " 0\" stiffness=\"200\" springref=\"0.005\" damping=\"3\"/>\n";
  o << "        <geom name=\"" << nm << "_cap\" type=\"cylinder\" " << kFixtureClass
    << " pos=\"0 0 0.01\" size=\"" << n(r) << " 0.01\" rgba=\"" << rgba(f.rgba) << "\"/>\n";
  o << "        <site name=\"" << nm << "_point\" pos=\"0 0 0.02\" size=\"0.005\" group=\"4\"/>\n";
  o << "      </body>\n";
}

void write_bin(std::ostream& o, const FixtureDef& f, const std::string& nm) {
  const double ix = f.size[0], iy = f.size[1], h = f.size[2], w = 0.01;
  box(o, nm + "_floor", kFixtureClass, {0, 0, w / 2}, {ix + w, iy + w, w / 2}, f.rgba);
  box(o, nm + "_wall_px", kFixtureClass, {ix + w / 2, 0, h / 2}, {w / 2, iy + w, h / 2}, f.rgba);
  box(o, nm + "_wall_nx", kFixtureClass, {-(ix + w / 2), 0, h / 2}, {w / 2, iy + w, h / 2}, f.rgba);
  box(o, nm + "_wall_py", kFixtureClass, {0, iy + w / 2, h / 2}, {ix, w / 2, h / 2}, f.rgba);
  box(o, nm + "_wall_ny", kFixtureClass, {0, -(iy + w / 2), h / 2}, {ix, w / 2, h / 2}, f.rgba);
  o << "      <site name=\"" << nm << "_point\" pos=\"0 0 " << n(w) << "\" size=\"0.005\" group=\"4\"/>\n";
}

void write_fixture(std::ostream& o, const FixtureDef& f) {
  const std::string nm = "fx_" + f.name;
  const double z = f.kind == FixtureKind::kMarker ? (f.z[0] + f.z[1]) / 2 : 0.0;
  o << "    <body name=\"" << nm << "\" mocap=\"true\" pos=\""
    << v3((f.x[0] + f.x[1]) / 2, (f.y[0] + f.y[1]) / 2, z) << "\">\n";
  switch (f.kind) {
    case FixtureKind::kDrawer:
      write_drawer(o, f, nm);
      break;
    case FixtureKind::kButton:
      write_button(o, f, nm);
      break;
    case FixtureKind::kBin:
      write_bin(o, f, nm);
      break;
    case FixtureKind::kRegion:
      // A thin plate a hair above the table (visual only) so it is drawn on top of the table surface.
      o << "      <geom name=\"" << nm << "_plate\" type=\"box\" " << kVisualOnly
        << " pos=\"0 0 0.0008\" size=\"" << v3(f.size[0], f.size[1], 0.0008) << "\" rgba=\"" << rgba(f.rgba)
        << "\"/>\n";
      o << "      <site name=\"" << nm << "_point\" pos=\"0 0 0\" size=\"0.005\" group=\"4\"/>\n";
      break;
    case FixtureKind::kMarker:
      o << "      <geom name=\"" << nm << "_sphere\" type=\"sphere\" " << kVisualOnly << " size=\""
        << n(f.size[0]) << "\" rgba=\"" << rgba(f.rgba) << "\"/>\n";
      o << "      <site name=\"" << nm << "_point\" pos=\"0 0 0\" size=\"0.005\" group=\"4\"/>\n";
      break;
  }
  o << "    </body>\n";
}

}  // namespace

std::array<double, 6> camera_xyaxes(const Vec3& pos, const Vec3& lookat) {
  double f[3] = {lookat[0] - pos[0], lookat[1] - pos[1], lookat[2] - pos[2]};
  const double fl = std::sqrt(f[0] * f[0] + f[1] * f[1] + f[2] * f[2]);
  for (double& x : f) x /= fl;
  // right = f x up (up = +z); camera y (image up) = right x f.
  double r[3] = {f[1], -f[0], 0};
  double rl = std::sqrt(r[0] * r[0] + r[1] * r[1]);
  if (rl < 1e-9) {  // looking straight down or up: pick +x... as image up
    r[0] = 0, r[1] = -1, rl = 1;
  }
  for (double& x : r) x /= rl;
  const double u[3] = {r[1] * f[2] - r[2] * f[1], r[2] * f[0] - r[0] * f[2], r[0] * f[1] - r[1] * f[0]};
  return {r[0], r[1], r[2], u[0], u[1], u[2]};
}

namespace {

// yaw (rad) about world z as a quaternion "w x y z".
std::string yaw_quat(double yaw) {
  return n(std::cos(yaw / 2)) + " 0 0 " + n(std::sin(yaw / 2));
}

// An included fixture or robot: its bodies inside one wrapper body at the middle of its ranges (a mocap body
// for fixtures, whose pose reset() draws), with the model's own default class.
void write_included(std::ostream& o, const IncludeDef& inc) {
  const std::string cls = inc.name + "/main";
  if (inc.kind == IncludeDef::Kind::kObject) {
    o << "    <!-- include " << inc.name << " (" << inc.file << ") -->\n" << inc.model.worldbody;
    return;
  }
  const bool mocap = inc.kind == IncludeDef::Kind::kFixture;
  o << "    <!-- include " << inc.name << " (" << inc.file << ") -->\n";
  o << "    <body name=\"inc_" << inc.name << "\"" << (mocap ? " mocap=\"true\"" : "") << " childclass=\""
    << cls << "\" pos=\""
    << v3((inc.x[0] + inc.x[1]) / 2, (inc.y[0] + inc.y[1]) / 2, (inc.z[0] + inc.z[1]) / 2) << "\" quat=\""
    << yaw_quat((inc.yaw[0] + inc.yaw[1]) / 2) << "\">\n"
    << inc.model.worldbody << "    </body>\n";
}

}  // namespace

std::string build_scene_mjcf(const TaskDef& task, const SceneOptions& options) {
  // The default arm's fragments, or none when the task brings its own (an include of kind robot).
  const RobotMjcf robot = task.robot ? RobotMjcf{} : robot_mjcf(kRobotBase);
  bool autolimits = false;
  std::string inc_asset, inc_default, inc_tendon, inc_equality, inc_actuator, inc_sensor, inc_contact;
  for (const auto& inc : task.includes) {
    autolimits |= inc.model.autolimits;
    inc_asset += inc.model.asset;
    inc_default += inc.model.default_classes;
    inc_tendon += inc.model.tendon;
    inc_equality += inc.model.equality;
    inc_actuator += inc.model.actuator;
    inc_sensor += inc.model.sensor;
    inc_contact += inc.model.contact;
  }
  Vec3 cam_pos = kAgentviewPos, cam_look = kAgentviewLookat;
  double cam_fovy = kAgentviewFovy;
  for (const auto& c : task.cameras)
    if (c.name == "agentview") cam_pos = c.pos, cam_look = c.lookat, cam_fovy = c.fovy;
  const auto xy = camera_xyaxes(cam_pos, cam_look);
  // The lights' colour as built (grey level g), scaled and tinted by the task's lighting.
  const LightingDef& lit = task.lighting;
  auto light = [&](double g) {
    const double b = g * lit.brightness;
    return v3(b * lit.color[0], b * lit.color[1], b * lit.color[2]);
  };

  std::ostringstream o;
  o << "<mujoco model=\"a2w_" << task.name << "\">\n";
  o << "  <compiler angle=\"radian\" inertiafromgeom=\"true\"" << (autolimits ? " autolimits=\"true\"" : "")
    << "/>\n";
  // Semi-implicit Euler: joint damping is integrated implicitly, which keeps the stiff servos stable.
  o << "  <option timestep=\"" << n(kPhysicsTimestep) << "\" integrator=\"Euler\" cone=\"pyramidal\"/>\n";
  // Room for 800 constraint rows: MuJoCo 2.2.2 sizes each mjData's scratch memory with the square of njmax,
  // and every byte of it is touched, so 1500 cost 27 MB per mjData (two per env); 800 costs 8. Random and
  // expert play on every built-in task never used more than 190 rows (test_task_env checks the headroom).
  // Past it MuJoCo drops constraints and warns (a2w keeps MuJoCo's warnings: mujoco_boundary.h).
  o << "  <size nconmax=\"300\" njmax=\"800\"/>\n";
  o << "  <visual>\n    <global offwidth=\"" << options.offscreen_width << "\" offheight=\""
    << options.offscreen_height << "\"/>\n"
    << "    <quality shadowsize=\"2048\" numslices=\"14\" numstacks=\"8\" numquads=\"1\" offsamples=\"0\"/>\n"
    << "    <headlight ambient=\"" << light(0.25) << "\" diffuse=\"" << light(0.25)
    << "\" specular=\"0.05 0.05 0.05\"/>\n"
    << "    <map znear=\"0.005\" zfar=\"20\"/>\n  </visual>\n";
  o << "  <asset>\n"
    << "    <texture name=\"floor_tex\" type=\"2d\" builtin=\"checker\" rgb1=\"0.32 0.33 0.36\" rgb2=\"0.26 "
       "0.27 0.3\" "
       "width=\"256\" height=\"256\"/>\n"
    << "    <material name=\"floor_mat\" texture=\"floor_tex\" texrepeat=\"6 6\"/>\n"
    << inc_asset << "  </asset>\n";
  o << "  <default>\n" << robot.default_classes << inc_default << "  </default>\n";
  o << "  <worldbody>\n";
  o << "    <light name=\"key\" pos=\"0.3 -0.3 1.6\" dir=\"-0.2 0.2 -1\" directional=\"true\" "
       "castshadow=\"true\" "
       "diffuse=\""
    << light(0.45) << "\" specular=\"0.1 0.1 0.1\"/>\n";
  o << "    <light name=\"fill\" pos=\"-0.6 0.5 1.2\" dir=\"0.5 -0.4 -1\" directional=\"true\" "
       "castshadow=\"false\" "
       "diffuse=\""
    << light(0.2) << "\" specular=\"0 0 0\"/>\n";
  // The floor is scenery: everything rests on the table top, whose collision plane is infinite.
  o << "    <geom name=\"floor\" type=\"plane\" pos=\"0 0 " << n(-kTableHeight)
    << "\" size=\"3 3 0.1\" material=\"floor_mat\" " << kVisualOnly << "/>\n";
  // Table: top at z = 0, from x = -0.65 (behind the robot's base) to 0.45.
  // What collides is a plane at the top (hidden from cameras: group 3): box-box contacts with the table
  // cost a quarter of every mj_step, box-plane ones little, and the workspace never reaches the edge.
  o << "    <geom name=\"table_top\" type=\"box\" pos=\"-0.1 0 -0.02\" size=\"0.55 0.6 0.02\" rgba=\"0.62 "
       "0.56 0.48 1\" "
    << kVisualOnly << "/>\n";
  o << "    <geom name=\"table\" type=\"plane\" pos=\"-0.1 0 0\" size=\"0.55 0.6 0.01\" rgba=\"0 0 0 0\" "
       "contype=\"1\" conaffinity=\"6\" group=\"3\" friction=\"0.9 0.005 0.0001\"/>\n";
  for (double x : {-0.6, 0.4})
    for (double y : {-0.55, 0.55})
      o << "    <geom type=\"box\" pos=\"" << v3(x, y, -kTableHeight / 2 - 0.02) << "\" size=\"0.03 0.03 "
        << n(kTableHeight / 2 - 0.02) << "\" rgba=\"0.4 0.35 0.3 1\" " << kVisualOnly << "/>\n";
  o << "    <camera name=\"agentview\" pos=\"" << v3(cam_pos[0], cam_pos[1], cam_pos[2]) << "\" xyaxes=\""
    << v3(xy[0], xy[1], xy[2]) << " " << v3(xy[3], xy[4], xy[5]) << "\" fovy=\"" << n(cam_fovy) << "\"/>\n";
  o << robot.body;
  for (const auto& inc : task.includes)
    if (inc.kind == IncludeDef::Kind::kRobot) write_included(o, inc);
  for (const auto& obj : task.objects) write_object(o, obj);
  for (const auto& f : task.fixtures) write_fixture(o, f);
  for (const auto& inc : task.includes)
    if (inc.kind != IncludeDef::Kind::kRobot) write_included(o, inc);
  if (!task.scene_mjcf.empty())
    o << "    <!-- scene fragment of the task file -->\n" << task.scene_mjcf << "\n";
  o << "  </worldbody>\n";
  o << "  <tendon>" << robot.tendon << inc_tendon << "  </tendon>\n";
  o << "  <equality>" << robot.equality << inc_equality << "  </equality>\n";
  o << "  <actuator>" << robot.actuator << inc_actuator << "  </actuator>\n";
  o << "  <contact>" << robot.contact << inc_contact << "  </contact>\n";
  if (!inc_sensor.empty()) o << "  <sensor>\n" << inc_sensor << "  </sensor>\n";
  o << "</mujoco>\n";
  return o.str();
}

}  // namespace a2w::tasks
