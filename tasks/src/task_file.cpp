#include "a2w/tasks/task_file.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "a2w/env/error.h"
#include "a2w/tasks/compiled_task.h"
#include "a2w/tasks/predicate.h"

namespace a2w::tasks {

std::string SourceLoc::str() const {
  std::string s = file.empty() ? "<task>" : file;
  if (line > 0) s += ":" + std::to_string(line);
  if (column > 0) s += ":" + std::to_string(column);
  return s;
}

Vec3 ObjectDef::half_extents() const {
  switch (shape) {
    case Shape::kBox:
      return size;
    case Shape::kCylinder:
      return {size[0], size[0], size[1]};
    case Shape::kSphere:
      return {size[0], size[0], size[0]};
  }
  return size;
}

int TaskDef::object_index(const std::string& n) const {
  for (std::size_t i = 0; i < objects.size(); ++i)
    if (objects[i].name == n) return static_cast<int>(i);
  return -1;
}

int TaskDef::fixture_index(const std::string& n) const {
  for (std::size_t i = 0; i < fixtures.size(); ++i)
    if (fixtures[i].name == n) return static_cast<int>(i);
  return -1;
}

namespace {

struct Palette {
  const char* name;
  Rgba rgba;
};
constexpr Palette kPalette[] = {
    {"red", {0.85f, 0.12f, 0.10f, 1}},    {"green", {0.15f, 0.70f, 0.20f, 1}},
    {"blue", {0.12f, 0.30f, 0.90f, 1}},   {"yellow", {0.95f, 0.85f, 0.10f, 1}},
    {"orange", {0.98f, 0.50f, 0.05f, 1}}, {"purple", {0.55f, 0.20f, 0.75f, 1}},
    {"cyan", {0.10f, 0.80f, 0.85f, 1}},   {"white", {0.95f, 0.95f, 0.95f, 1}},
    {"black", {0.08f, 0.08f, 0.08f, 1}},  {"gray", {0.50f, 0.50f, 0.50f, 1}},
    {"brown", {0.50f, 0.30f, 0.12f, 1}},  {"pink", {0.98f, 0.50f, 0.70f, 1}},
};

std::string palette_names() {
  std::string s;
  for (const auto& p : kPalette) s += (s.empty() ? "" : ", ") + std::string(p.name);
  return s;
}

// Reading helpers: every failure names the node's location and what was expected.
class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  SourceLoc loc(const YAML::Node& n) const {
    SourceLoc l;
    l.file = file_;
    const YAML::Mark m = n.Mark();
    if (!m.is_null()) {
      l.line = m.line + 1;
      l.column = m.column + 1;
    }
    return l;
  }

  [[noreturn]] void fail(const YAML::Node& n, const std::string& msg) const {
    throw InvalidArgument(loc(n).str() + ": " + msg);
  }

  static std::string describe(const YAML::Node& n) {
    switch (n.Type()) {
      case YAML::NodeType::Null:
        return "nothing";
      case YAML::NodeType::Scalar:
        return "'" + n.Scalar() + "'";
      case YAML::NodeType::Sequence:
        return "a list";
      case YAML::NodeType::Map:
        return "a map";
      default:
        return "an undefined value";
    }
  }

  // Throws on keys outside `allowed`, naming the key's own location.
  void check_keys(const YAML::Node& map, const std::vector<std::string>& allowed,
                  const std::string& where) const {
    for (auto it = map.begin(); it != map.end(); ++it) {
      const std::string key = it->first.Scalar();
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        std::string list;
        for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
        fail(it->first, "unknown key '" + key + "' in " + where + "; expected one of: " + list);
      }
    }
  }

  void need_map(const YAML::Node& n, const std::string& what) const {
    if (!n.IsMap()) fail(n, "expected a map for " + what + ", got " + describe(n));
  }
  void need_list(const YAML::Node& n, const std::string& what) const {
    if (!n.IsSequence()) fail(n, "expected a list for " + what + ", got " + describe(n));
  }

  std::string str(const YAML::Node& n, const std::string& what) const {
    if (!n.IsScalar()) fail(n, "expected text for " + what + ", got " + describe(n));
    return n.Scalar();
  }

  double number(const YAML::Node& n, const std::string& what) const {
    double v = 0;
    if (!n.IsScalar() || !YAML::convert<double>::decode(n, v) || !std::isfinite(v))
      fail(n, "expected a number for " + what + ", got " + describe(n));
    return v;
  }

  double positive(const YAML::Node& n, const std::string& what) const {
    const double v = number(n, what);
    if (v <= 0) fail(n, "expected a positive number for " + what + ", got " + n.Scalar());
    return v;
  }

  int integer(const YAML::Node& n, const std::string& what, int lo, int hi) const {
    const double v = number(n, what);
    if (v != std::floor(v) || v < lo || v > hi)
      fail(n, "expected a whole number in [" + std::to_string(lo) + ", " + std::to_string(hi) + "] for " +
                  what + ", got " + n.Scalar());
    return static_cast<int>(v);
  }

  bool boolean(const YAML::Node& n, const std::string& what) const {
    bool v = false;
    if (!n.IsScalar() || !YAML::convert<bool>::decode(n, v))
      fail(n, "expected true or false for " + what + ", got " + describe(n));
    return v;
  }

  std::vector<double> numbers(const YAML::Node& n, const std::string& what, std::size_t min_n,
                              std::size_t max_n) const {
    if (!n.IsSequence() || n.size() < min_n || n.size() > max_n)
      fail(n, "expected a list of " +
                  (min_n == max_n ? std::to_string(min_n)
                                  : std::to_string(min_n) + " to " + std::to_string(max_n)) +
                  " numbers for " + what + ", got " + describe(n) +
                  (n.IsSequence() ? " of " + std::to_string(n.size()) : ""));
    std::vector<double> v;
    for (std::size_t i = 0; i < n.size(); ++i) v.push_back(number(n[i], what));
    return v;
  }

  // A range [lo, hi] or a single number (a fixed value).
  Vec2 range(const YAML::Node& n, const std::string& what) const {
    if (n.IsScalar()) {
      const double v = number(n, what);
      return {v, v};
    }
    if (!n.IsSequence() || n.size() != 2)
      fail(n, "expected a range [lo, hi] or a number for " + what + ", got " + describe(n));
    const Vec2 r{number(n[0], what), number(n[1], what)};
    if (r[0] > r[1]) fail(n, "expected lo <= hi in the range for " + what);
    return r;
  }

  Vec3 vec3(const YAML::Node& n, const std::string& what) const {
    const auto v = numbers(n, what, 3, 3);
    return {v[0], v[1], v[2]};
  }

  Rgba color(const YAML::Node& n, const std::string& what, std::string* name = nullptr) const {
    Rgba c{};
    if (n.IsScalar()) {
      if (!palette_color(n.Scalar(), c))
        fail(n, "unknown colour '" + n.Scalar() + "' for " + what + "; expected one of: " + palette_names() +
                    ", or [r, g, b(, a)]");
      if (name) *name = n.Scalar();
      return c;
    }
    const auto v = numbers(n, what + " (rgb or rgba in [0, 1])", 3, 4);
    for (double x : v)
      if (x < 0 || x > 1) fail(n, "expected colour components in [0, 1] for " + what);
    return {static_cast<float>(v[0]), static_cast<float>(v[1]), static_cast<float>(v[2]),
            static_cast<float>(v.size() == 4 ? v[3] : 1.0)};
  }

  const std::string& file() const { return file_; }

 private:
  std::string file_;
};

bool valid_identifier(const std::string& s) {
  static const std::regex re("[A-Za-z][A-Za-z0-9_]*");
  return std::regex_match(s, re);
}

ObjectDef read_object(const Reader& r, const YAML::Node& n, std::size_t index) {
  r.need_map(n, "an object");
  ObjectDef o;
  o.loc = r.loc(n);
  if (!n["name"]) r.fail(n, "expected a 'name' in object " + std::to_string(index));
  o.name = r.str(n["name"], "the object's name");
  if (!valid_identifier(o.name))
    r.fail(n["name"],
           "expected an identifier ([A-Za-z][A-Za-z0-9_]*) for the object's name, got '" + o.name + "'");
  const std::string what = "object '" + o.name + "'";
  r.check_keys(n, {"name", "shape", "size", "mass", "friction", "colors", "color", "x", "y", "yaw"}, what);
  if (n["shape"]) {
    const std::string s = r.str(n["shape"], "shape");
    if (s == "box")
      o.shape = Shape::kBox;
    else if (s == "cylinder")
      o.shape = Shape::kCylinder;
    else if (s == "sphere")
      o.shape = Shape::kSphere;
    else
      r.fail(n["shape"], "expected shape box, cylinder or sphere for " + what + ", got '" + s + "'");
  }
  if (n["size"]) {
    const std::size_t want = o.shape == Shape::kBox ? 3 : o.shape == Shape::kCylinder ? 2 : 1;
    const auto v = r.numbers(n["size"],
                             "the size of " + what +
                                 (want == 3   ? " (half extents x y z)"
                                  : want == 2 ? " (radius, half height)"
                                              : " (radius)"),
                             want, want);
    o.size = {0, 0, 0};
    for (std::size_t i = 0; i < want; ++i) {
      if (v[i] <= 0 || v[i] > 0.2) r.fail(n["size"], "expected sizes in (0, 0.2] m for " + what);
      o.size[i] = v[i];
    }
  } else if (o.shape != Shape::kBox) {
    o.size = o.shape == Shape::kCylinder ? Vec3{0.025, 0.04, 0} : Vec3{0.025, 0, 0};
  }
  if (n["mass"]) o.mass = r.positive(n["mass"], "the mass of " + what);
  if (n["friction"]) o.friction = r.positive(n["friction"], "the friction of " + what);
  const YAML::Node colors = n["colors"] ? n["colors"] : n["color"];
  if (colors) {
    auto is_number = [](const YAML::Node& x) {
      double v = 0;
      return x.IsScalar() && YAML::convert<double>::decode(x, v);
    };
    if (colors.IsSequence() && colors.size() > 0 && !is_number(colors[0])) {
      // A list of choices: palette names, [r, g, b(, a)] lists or {name, rgba} maps.
      for (std::size_t i = 0; i < colors.size(); ++i) {
        NamedColor c;
        if (colors[i].IsMap()) {
          r.check_keys(colors[i], {"name", "rgba"}, "a colour of " + what);
          if (!colors[i]["name"] || !colors[i]["rgba"])
            r.fail(colors[i], "expected 'name' and 'rgba' in a colour");
          c.name = r.str(colors[i]["name"], "the colour's name");
          c.rgba = r.color(colors[i]["rgba"], "colour '" + c.name + "'");
        } else {
          c.rgba = r.color(colors[i], "a colour of " + what, &c.name);
          if (c.name.empty()) c.name = "colored";
        }
        o.colors.push_back(c);
      }
    } else {
      NamedColor c;
      c.rgba = r.color(colors, "the colour of " + what, &c.name);
      if (c.name.empty()) c.name = "colored";
      o.colors.push_back(c);
    }
  }
  if (o.colors.empty()) o.colors.push_back({"red", kPalette[0].rgba});
  if (n["x"]) o.x = r.range(n["x"], "x of " + what);
  if (n["y"]) o.y = r.range(n["y"], "y of " + what);
  if (n["yaw"]) o.yaw = r.range(n["yaw"], "yaw of " + what);
  return o;
}

FixtureDef read_fixture(const Reader& r, const YAML::Node& n, std::size_t index) {
  r.need_map(n, "a fixture");
  FixtureDef f;
  f.loc = r.loc(n);
  if (!n["name"]) r.fail(n, "expected a 'name' in fixture " + std::to_string(index));
  f.name = r.str(n["name"], "the fixture's name");
  if (!valid_identifier(f.name))
    r.fail(n["name"], "expected an identifier for the fixture's name, got '" + f.name + "'");
  const std::string what = "fixture '" + f.name + "'";
  r.check_keys(n, {"name", "type", "x", "y", "z", "yaw", "size", "travel", "open", "color"}, what);
  if (!n["type"]) r.fail(n, "expected a 'type' (drawer, button, bin, region, marker) in " + what);
  const std::string t = r.str(n["type"], "the type of " + what);
  if (t == "drawer") {
    f.kind = FixtureKind::kDrawer;
    f.size = {0.12, 0.15, 0.045};
    f.travel = 0.2;
    f.rgba = {0.55f, 0.38f, 0.22f, 1};
  } else if (t == "button") {
    f.kind = FixtureKind::kButton;
    f.size = {0.025, 0, 0};
    f.travel = 0.015;
    f.rgba = {0.85f, 0.1f, 0.1f, 1};
  } else if (t == "bin") {
    f.kind = FixtureKind::kBin;
    f.size = {0.08, 0.08, 0.06};
    f.rgba = {0.35f, 0.35f, 0.4f, 1};
  } else if (t == "region") {
    f.kind = FixtureKind::kRegion;
    f.size = {0.06, 0.06, 0};
    f.rgba = {0.1f, 0.6f, 0.2f, 1};
  } else if (t == "marker") {
    f.kind = FixtureKind::kMarker;
    f.size = {0.02, 0, 0};
    f.rgba = {0.1f, 0.8f, 0.2f, 0.8f};
  } else {
    r.fail(n["type"],
           "expected type drawer, button, bin, region or marker for " + what + ", got '" + t + "'");
  }
  if (n["x"]) f.x = r.range(n["x"], "x of " + what);
  if (n["y"]) f.y = r.range(n["y"], "y of " + what);
  if (n["z"]) {
    if (f.kind != FixtureKind::kMarker) r.fail(n["z"], "'z' applies to markers only, not to " + what);
    f.z = r.range(n["z"], "z of " + what);
  } else if (f.kind == FixtureKind::kMarker) {
    f.z = {0.1, 0.1};
  }
  if (n["yaw"]) f.yaw = r.range(n["yaw"], "yaw of " + what);
  if (n["size"]) {
    const std::size_t want = f.kind == FixtureKind::kDrawer || f.kind == FixtureKind::kBin ? 3
                             : f.kind == FixtureKind::kRegion                              ? 2
                                                                                           : 1;
    const auto v = r.numbers(n["size"], "the size of " + what, want, want);
    for (std::size_t i = 0; i < want; ++i) {
      if (v[i] <= 0 || v[i] > 0.4) r.fail(n["size"], "expected sizes in (0, 0.4] m for " + what);
      f.size[i] = v[i];
    }
  }
  if (n["travel"]) {
    if (!f.has_joint()) r.fail(n["travel"], "'travel' applies to drawers and buttons, not to " + what);
    f.travel = r.positive(n["travel"], "the travel of " + what);
  }
  if (n["open"]) {
    if (f.kind != FixtureKind::kDrawer) r.fail(n["open"], "'open' applies to drawers only, not to " + what);
    f.joint_init = r.range(n["open"], "the initial opening of " + what);
    if (f.joint_init[0] < 0 || f.joint_init[1] > f.travel)
      r.fail(n["open"], "expected the initial opening within [0, travel] for " + what);
  }
  if (n["color"]) f.rgba = r.color(n["color"], "the colour of " + what);
  return f;
}

void check_entity(const Reader& r, const TaskDef& task, const YAML::Node& n, const std::string& what,
                  bool object_only = false) {
  const std::string name = r.str(n, what);
  EntityRef ref;
  if (!parse_entity(task, name, ref)) {
    std::string known;
    for (const auto& e : entity_names(task)) known += (known.empty() ? "" : ", ") + e;
    r.fail(n, "unknown entity '" + name + "' for " + what + "; known: " + known);
  }
  if (object_only && ref.kind != EntityRef::Kind::kObject)
    r.fail(n, "expected an object for " + what + ", got '" + name + "'");
}

int check_fixture(const Reader& r, const TaskDef& task, const YAML::Node& n, const std::string& what,
                  bool need_joint) {
  const std::string name = r.str(n, what);
  const int f = task.fixture_index(name);
  if (f < 0 || (need_joint && !task.fixtures[static_cast<std::size_t>(f)].has_joint()))
    r.fail(n, std::string("expected a fixture") + (need_joint ? " with a joint (drawer, button)" : "") +
                  " for " + what + ", got '" + name + "'");
  return f;
}

PredicateExpr read_predicate(const Reader& r, const TaskDef& task, const YAML::Node& n,
                             const std::string& what) {
  const std::string text = r.str(n, what + " (a predicate such as \"lifted(cube, 0.1)\")");
  SourceLoc where = r.loc(n);
  // Quoted scalars start one column before their text.
  if (n.Tag() == "!" && where.column > 0) where.column += 1;
  return parse_predicate(text, where, task);
}

RewardTermDef read_reward(const Reader& r, const TaskDef& task, const YAML::Node& n) {
  r.need_map(n, "a reward term");
  RewardTermDef t;
  t.loc = r.loc(n);
  if (!n["term"])
    r.fail(n, "expected a 'term' (reach, distance, lift, joint, grasp, success) in the reward term");
  const std::string k = r.str(n["term"], "the reward term");
  if (k == "reach") {
    t.kind = RewardTermDef::Kind::kReach;
    r.check_keys(n, {"term", "weight", "object"}, "reward term 'reach'");
    if (!n["object"]) r.fail(n, "expected 'object' in reward term 'reach'");
    check_entity(r, task, n["object"], "reward term 'reach'");
    t.a = n["object"].Scalar();
  } else if (k == "distance") {
    t.kind = RewardTermDef::Kind::kDistance;
    r.check_keys(n, {"term", "weight", "a", "b"}, "reward term 'distance'");
    if (!n["a"] || !n["b"]) r.fail(n, "expected 'a' and 'b' in reward term 'distance'");
    check_entity(r, task, n["a"], "reward term 'distance'");
    check_entity(r, task, n["b"], "reward term 'distance'");
    t.a = n["a"].Scalar();
    t.b = n["b"].Scalar();
  } else if (k == "lift") {
    t.kind = RewardTermDef::Kind::kLift;
    r.check_keys(n, {"term", "weight", "object", "height"}, "reward term 'lift'");
    if (!n["object"] || !n["height"]) r.fail(n, "expected 'object' and 'height' in reward term 'lift'");
    check_entity(r, task, n["object"], "reward term 'lift'", true);
    t.a = n["object"].Scalar();
    t.height = r.positive(n["height"], "the height of reward term 'lift'");
  } else if (k == "joint") {
    t.kind = RewardTermDef::Kind::kJoint;
    r.check_keys(n, {"term", "weight", "joint", "from", "to"}, "reward term 'joint'");
    if (!n["joint"] || !n["from"] || !n["to"])
      r.fail(n, "expected 'joint', 'from' and 'to' in reward term 'joint'");
    check_fixture(r, task, n["joint"], "reward term 'joint'", true);
    t.a = n["joint"].Scalar();
    t.from = r.number(n["from"], "'from' of reward term 'joint'");
    t.to = r.number(n["to"], "'to' of reward term 'joint'");
    if (t.from == t.to) r.fail(n["to"], "expected 'to' different from 'from' in reward term 'joint'");
  } else if (k == "grasp") {
    t.kind = RewardTermDef::Kind::kGrasp;
    r.check_keys(n, {"term", "weight", "object"}, "reward term 'grasp'");
    if (!n["object"]) r.fail(n, "expected 'object' in reward term 'grasp'");
    check_entity(r, task, n["object"], "reward term 'grasp'", true);
    t.a = n["object"].Scalar();
  } else if (k == "success") {
    t.kind = RewardTermDef::Kind::kSuccess;
    r.check_keys(n, {"term", "weight"}, "reward term 'success'");
  } else {
    r.fail(n["term"],
           "expected a reward term reach, distance, lift, joint, grasp or success, got '" + k + "'");
  }
  if (n["weight"]) t.weight = r.number(n["weight"], "the weight of reward term '" + k + "'");
  return t;
}

struct WaypointKindInfo {
  const char* name;
  WaypointDef::Kind kind;
  double tolerance;
  int timeout;
  bool needs_target;
};
constexpr WaypointKindInfo kWaypoints[] = {
    {"move_above", WaypointDef::Kind::kMoveAbove, 0.015, 60, true},
    {"move_to", WaypointDef::Kind::kMoveTo, 0.01, 60, true},
    {"descend", WaypointDef::Kind::kDescend, 0.008, 40, true},
    {"grasp", WaypointDef::Kind::kGrasp, 0.0, 12, false},
    {"release", WaypointDef::Kind::kRelease, 0.0, 10, false},
    {"lift", WaypointDef::Kind::kLift, 0.015, 40, false},
    {"push", WaypointDef::Kind::kPush, 0.0, 160, true},
    {"pull", WaypointDef::Kind::kPull, 0.0, 100, true},
    {"press", WaypointDef::Kind::kPress, 0.0, 60, true},
    {"wait", WaypointDef::Kind::kWait, 0.0, 5, false},
};

WaypointDef read_waypoint(const Reader& r, const TaskDef& task, const YAML::Node& n) {
  std::string kind_name;
  YAML::Node args;
  YAML::Node key_node = n;
  if (n.IsScalar()) {
    kind_name = n.Scalar();
  } else if (n.IsMap() && n.size() == 1) {
    key_node.reset(n.begin()->first);  // rebind (operator= would overwrite the node it refers to)
    kind_name = key_node.Scalar();
    args.reset(n.begin()->second);
    if (!args.IsNull() && !args.IsMap())
      r.fail(args, "expected a map of arguments for expert step '" + kind_name + "', got " +
                       Reader::describe(args));
  } else {
    r.fail(n,
           "expected an expert step: a name (grasp) or a one-key map ({move_above: {target: cube}}), got " +
               Reader::describe(n));
  }
  const WaypointKindInfo* info = nullptr;
  for (const auto& w : kWaypoints)
    if (kind_name == w.name) info = &w;
  if (!info) {
    std::string names;
    for (const auto& w : kWaypoints) names += (names.empty() ? "" : ", ") + std::string(w.name);
    r.fail(key_node, "unknown expert step '" + kind_name + "'; expected one of: " + names);
  }
  WaypointDef w;
  w.kind = info->kind;
  w.loc = r.loc(n);
  w.tolerance = info->tolerance;
  w.timeout = info->timeout;
  const std::string what = "expert step '" + kind_name + "'";
  if (args && args.IsMap()) {
    r.check_keys(args,
                 {"target", "to", "offset", "local_offset", "height", "tolerance", "timeout", "speed",
                  "gripper", "joint_target", "require"},
                 what);
    if (args["target"]) {
      check_entity(r, task, args["target"], what);
      w.target = args["target"].Scalar();
    }
    if (args["to"]) {
      check_fixture(r, task, args["to"], "'to' of " + what, false);
      w.to = args["to"].Scalar();
    }
    if (args["offset"] && args["local_offset"])
      r.fail(args["local_offset"], "expected 'offset' or 'local_offset', not both");
    if (args["offset"]) w.offset = r.vec3(args["offset"], "the offset of " + what);
    if (args["local_offset"]) {
      w.offset = r.vec3(args["local_offset"], "the local offset of " + what);
      w.local_offset = true;
    }
    if (args["height"]) w.height = r.number(args["height"], "the height of " + what);
    if (args["tolerance"]) w.tolerance = r.positive(args["tolerance"], "the tolerance of " + what);
    if (args["timeout"]) w.timeout = r.integer(args["timeout"], "the timeout of " + what, 1, 100000);
    if (args["speed"]) {
      w.speed = r.positive(args["speed"], "the speed of " + what);
      if (w.speed > 1) r.fail(args["speed"], "expected a speed in (0, 1] for " + what);
    }
    if (args["gripper"]) {
      const double g = r.number(args["gripper"], "the gripper command of " + what);
      if (g < -1 || g > 1) r.fail(args["gripper"], "expected a gripper command in [-1, 1] for " + what);
      w.gripper = g;
    }
    if (args["joint_target"]) w.joint_target = r.number(args["joint_target"], "the joint target of " + what);
    if (args["require"]) w.require = read_predicate(r, task, args["require"], "'require' of " + what);
  }
  if (info->needs_target && w.target.empty()) r.fail(n, "expected a 'target' for " + what);
  if (w.kind == WaypointDef::Kind::kPush) {
    if (w.to.empty()) r.fail(n, "expected 'to' (a region) for " + what);
    if (task.object_index(w.target) < 0) r.fail(n, "expected an object as the target of " + what);
  }
  if (w.kind == WaypointDef::Kind::kPull || w.kind == WaypointDef::Kind::kPress) {
    EntityRef ref;
    parse_entity(task, w.target, ref);
    const bool ok = ref.kind == EntityRef::Kind::kFixture &&
                    task.fixtures[static_cast<std::size_t>(ref.index)].kind ==
                        (w.kind == WaypointDef::Kind::kPull ? FixtureKind::kDrawer : FixtureKind::kButton);
    if (!ok)
      r.fail(n, std::string("expected a ") + (w.kind == WaypointDef::Kind::kPull ? "drawer" : "button") +
                    " as the target of " + what + ", got '" + w.target + "'");
    if (!w.joint_target) r.fail(n, "expected a 'joint_target' for " + what);
  }
  return w;
}

TaskDef read_task(const Reader& r, const YAML::Node& root) {
  if (!root.IsMap())
    r.fail(root, "expected a map at the top of the task file, got " + Reader::describe(root));
  r.check_keys(root,
               {"name", "description", "horizon", "instruction", "objects", "fixtures", "min_separation",
                "success", "reward", "expert", "cameras", "scene"},
               "the task file");
  TaskDef t;
  t.file = r.file();
  if (!root["name"]) r.fail(root, "expected a 'name' in the task file");
  t.name = r.str(root["name"], "the task's name");
  if (!valid_identifier(t.name))
    r.fail(root["name"],
           "expected an identifier ([A-Za-z][A-Za-z0-9_]*) for the task's name, got '" + t.name + "'");
  if (root["description"]) t.description = r.str(root["description"], "the description");
  if (!root["horizon"]) r.fail(root, "expected a 'horizon' (control steps per episode) in the task file");
  t.horizon = r.integer(root["horizon"], "the horizon", 1, 100000);
  if (root["min_separation"]) t.min_separation = r.number(root["min_separation"], "min_separation");

  std::set<std::string> names = {"tcp", "gripper", "table"};
  auto claim = [&](const YAML::Node& n, const std::string& name) {
    if (!names.insert(name).second) r.fail(n, "the name '" + name + "' is used twice (or is reserved)");
  };
  if (root["objects"]) {
    r.need_list(root["objects"], "'objects'");
    for (std::size_t i = 0; i < root["objects"].size(); ++i) {
      t.objects.push_back(read_object(r, root["objects"][i], i));
      claim(root["objects"][i]["name"], t.objects.back().name);
    }
  }
  if (root["fixtures"]) {
    r.need_list(root["fixtures"], "'fixtures'");
    for (std::size_t i = 0; i < root["fixtures"].size(); ++i) {
      t.fixtures.push_back(read_fixture(r, root["fixtures"][i], i));
      claim(root["fixtures"][i]["name"], t.fixtures.back().name);
    }
  }
  if (t.objects.empty() && t.fixtures.empty()) r.fail(root, "expected at least one object or fixture");

  if (root["instruction"]) {
    const YAML::Node ins = root["instruction"];
    std::vector<YAML::Node> items;
    if (ins.IsSequence())
      for (std::size_t i = 0; i < ins.size(); ++i) items.push_back(ins[i]);
    else
      items.push_back(ins);
    static const std::regex ph("\\{([^}]*)\\}");
    for (const auto& n : items) {
      const std::string s = r.str(n, "an instruction template");
      for (auto it = std::sregex_iterator(s.begin(), s.end(), ph); it != std::sregex_iterator(); ++it) {
        const std::string key = (*it)[1];
        const auto dot = key.find('.');
        const std::string obj = key.substr(0, dot);
        const std::string attr = dot == std::string::npos ? "" : key.substr(dot + 1);
        if (t.object_index(obj) < 0 || (attr != "color" && attr != "name"))
          r.fail(n, "unknown placeholder '{" + key +
                        "}' in the instruction; expected {<object>.color} or "
                        "{<object>.name}");
      }
      t.instructions.push_back(s);
    }
  }
  if (t.instructions.empty()) t.instructions.push_back(t.description.empty() ? t.name : t.description);

  if (!root["success"]) r.fail(root, "expected a 'success' predicate in the task file");
  t.success = read_predicate(r, t, root["success"], "'success'");
  t.success_text = predicate_to_string(t.success);

  if (root["reward"]) {
    r.need_list(root["reward"], "'reward'");
    for (std::size_t i = 0; i < root["reward"].size(); ++i)
      t.reward.push_back(read_reward(r, t, root["reward"][i]));
  }
  if (t.reward.empty())
    t.reward.push_back({RewardTermDef::Kind::kSuccess, "", "", 0, 0, 0, 1.0, r.loc(root)});

  if (!root["expert"]) r.fail(root, "expected an 'expert' program (a list of waypoints) in the task file");
  r.need_list(root["expert"], "'expert'");
  for (std::size_t i = 0; i < root["expert"].size(); ++i)
    t.expert.push_back(read_waypoint(r, t, root["expert"][i]));
  if (t.expert.empty()) r.fail(root["expert"], "expected at least one expert step");

  if (root["cameras"]) {
    const YAML::Node cams = root["cameras"];
    r.need_map(cams, "'cameras'");
    for (auto it = cams.begin(); it != cams.end(); ++it) {
      const std::string name = it->first.Scalar();
      if (name != "agentview")
        r.fail(it->first,
               "unknown camera '" + name + "'; expected agentview (eye_in_hand moves with the hand)");
      const YAML::Node c = it->second;
      r.need_map(c, "camera '" + name + "'");
      r.check_keys(c, {"pos", "lookat", "fovy"}, "camera '" + name + "'");
      CameraDef cd;
      cd.name = name;
      cd.loc = r.loc(c);
      if (!c["pos"] || !c["lookat"]) r.fail(c, "expected 'pos' and 'lookat' for camera '" + name + "'");
      cd.pos = r.vec3(c["pos"], "the position of camera '" + name + "'");
      cd.lookat = r.vec3(c["lookat"], "the look-at point of camera '" + name + "'");
      if (c["fovy"]) {
        cd.fovy = r.positive(c["fovy"], "the fovy of camera '" + name + "'");
        if (cd.fovy >= 170) r.fail(c["fovy"], "expected fovy below 170 degrees");
      }
      t.cameras.push_back(cd);
    }
  }
  if (root["scene"]) {
    t.scene_mjcf = r.str(root["scene"], "'scene' (MJCF text for <worldbody>)");
    t.scene_loc = r.loc(root["scene"]);
  }
  return t;
}

}  // namespace

bool palette_color(const std::string& name, Rgba& out) {
  for (const auto& p : kPalette)
    if (name == p.name) {
      out = p.rgba;
      return true;
    }
  return false;
}

TaskDef parse_task(const std::string& yaml_text, const std::string& file) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::ParserException& e) {
    SourceLoc l{file, e.mark.line + 1, e.mark.column + 1};
    throw InvalidArgument(l.str() + ": YAML syntax error: " + e.msg);
  }
  Reader r(file);
  try {
    return read_task(r, root);
  } catch (const YAML::Exception& e) {
    // yaml-cpp's own conversion errors (should be caught above, but never let one escape unlabelled).
    SourceLoc l{file, e.mark.line + 1, e.mark.column + 1};
    throw InvalidArgument(l.str() + ": " + e.msg);
  }
}

TaskDef load_task_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("task file: expected a readable file at '" + path + "', could not open it");
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse_task(ss.str(), path);
}

}  // namespace a2w::tasks
