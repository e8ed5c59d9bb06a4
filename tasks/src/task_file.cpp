#include "a2w/tasks/task_file.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "a2w/env/error.h"
#include "a2w/tasks/compiled_task.h"
#include "a2w/tasks/predicate.h"
#include "mjcf_include.h"

namespace a2w::tasks {

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

int TaskDef::perturbation_index(const std::string& n) const {
  for (std::size_t i = 0; i < perturbations.size(); ++i)
    if (perturbations[i].name == n) return static_cast<int>(i);
  return -1;
}

int TaskDef::include_index(const std::string& n) const {
  for (std::size_t i = 0; i < includes.size(); ++i)
    if (includes[i].name == n) return static_cast<int>(i);
  return -1;
}

int TaskDef::element_index(int include, const std::string& n) const {
  for (std::size_t i = 0; i < elements.size(); ++i)
    if (elements[i].include == include && elements[i].name == n) return static_cast<int>(i);
  return -1;
}

namespace {

namespace fs = std::filesystem;

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

// The table top (world frame, metres): things placed outside it fall to the floor.
constexpr double kTableXLo = -0.65, kTableXHi = 0.45, kTableYHalf = 0.6;

std::string palette_names() {
  std::string s;
  for (const auto& p : kPalette) s += (s.empty() ? "" : ", ") + std::string(p.name);
  return s;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

// Edit distance, for "did you mean" hints on misspelt keys.
std::size_t distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t prev = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cur = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] == b[j - 1] ? 0 : 1)});
      prev = cur;
    }
  }
  return row[b.size()];
}

std::string hint(const std::string& got, const std::vector<std::string>& known) {
  std::string best;
  std::size_t best_d = 3;
  for (const auto& k : known)
    if (const std::size_t d = distance(got, k); d < best_d) best = k, best_d = d;
  return best.empty() ? "" : " (did you mean '" + best + "'?)";
}

// Thrown by Reader::fail to abandon the item being read; the problem is already recorded.
struct Skip {};

// Reading helpers. Every problem is recorded with the node's location and what was expected; fail()
// records and abandons the current item (a key, a list entry), attempt() resumes after it.
class Reader {
 public:
  Reader(std::string file, const std::string& text, std::vector<Diagnostic>& out)
      : file_(std::move(file)), text_(text), out_(out) {}

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

  // The source character at a node's mark (to tell quoted and block scalars apart).
  char source_char(const YAML::Node& n) const {
    const YAML::Mark m = n.Mark();
    if (m.is_null() || m.pos < 0 || static_cast<std::size_t>(m.pos) >= text_.size()) return '\0';
    return text_[static_cast<std::size_t>(m.pos)];
  }

  void report(const YAML::Node& n, const std::string& msg,
              Diagnostic::Severity severity = Diagnostic::Severity::kError) const {
    out_.push_back({severity, loc(n), msg});
  }
  void report_at(const SourceLoc& l, const std::string& msg) const {
    out_.push_back({Diagnostic::Severity::kError, l, msg});
  }

  [[noreturn]] void fail(const YAML::Node& n, const std::string& msg) const {
    report(n, msg);
    throw Skip{};
  }

  // Runs f; a failure inside it (recorded already) ends f only. True when f ran through.
  template <class F>
  bool attempt(F&& f) const {
    try {
      f();
      return true;
    } catch (const Skip&) {
    } catch (const TaskFileError& e) {
      for (const auto& d : e.diagnostics()) out_.push_back(d);
    } catch (const YAML::Exception& e) {
      out_.push_back({Diagnostic::Severity::kError, {file_, e.mark.line + 1, e.mark.column + 1}, e.msg});
    }
    return false;
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

  // Records every key outside `allowed` (naming the key's own location) and every key given twice.
  void check_keys(const YAML::Node& map, const std::vector<std::string>& allowed,
                  const std::string& where) const {
    std::map<std::string, int> seen;
    for (auto it = map.begin(); it != map.end(); ++it) {
      if (!it->first.IsScalar()) {
        report(it->first, "expected a key (text) in " + where + ", got " + describe(it->first));
        continue;
      }
      const std::string key = it->first.Scalar();
      if (auto [s, fresh] = seen.emplace(key, loc(it->first).line); !fresh)
        report(it->first, "key '" + key + "' given twice in " + where + " (first at line " +
                              std::to_string(s->second) + "); expected each key once");
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
        report(it->first, "unknown key '" + key + "' in " + where + "; expected one of: " + join(allowed) +
                              hint(key, allowed));
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

  std::vector<std::string> names(const YAML::Node& n, const std::string& what) const {
    if (n.IsScalar()) return {n.Scalar()};
    if (!n.IsSequence()) fail(n, "expected a list of names for " + what + ", got " + describe(n));
    std::vector<std::string> v;
    for (std::size_t i = 0; i < n.size(); ++i) v.push_back(str(n[i], what));
    return v;
  }

  // A range [lo, hi] or a single number (a fixed value).
  Vec2 range(const YAML::Node& n, const std::string& what) const {
    if (n.IsScalar()) {
      const double v = number(n, what);
      return {v, v};
    }
    if (!n.IsSequence() || n.size() != 2)
      fail(n, "expected a range [lo, hi] or a number for " + what + ", got " + describe(n) +
                  (n.IsSequence() ? " of " + std::to_string(n.size()) : ""));
    const Vec2 r{number(n[0], what), number(n[1], what)};
    if (r[0] > r[1])
      fail(n, "expected lo <= hi in the range for " + what + ", got [" + n[0].Scalar() + ", " +
                  n[1].Scalar() + "] (an empty range)");
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

  // A predicate written in a scalar: its location is that of its first character.
  PredicateExpr predicate(const TaskDef& task, const YAML::Node& n, const std::string& what) const {
    const std::string text = str(n, what + " (a predicate such as \"lifted(cube, 0.1)\")");
    SourceLoc where = loc(n);
    const char c = source_char(n);
    if ((c == '"' || c == '\'') && where.column > 0) where.column += 1;  // quoted: the text starts after it
    return parse_predicate(text, where, task, what);
  }

  const std::string& file() const { return file_; }
  const std::string& text() const { return text_; }

 private:
  std::string file_;
  const std::string& text_;
  std::vector<Diagnostic>& out_;
};

bool valid_identifier(const std::string& s) {
  static const std::regex re("[A-Za-z][A-Za-z0-9_]*");
  return std::regex_match(s, re);
}

std::string fmt(double v) {
  std::ostringstream o;
  o << v;
  return o.str();
}

void check_on_table(const Reader& r, const YAML::Node& n, const Vec2& v, bool is_x, const std::string& what) {
  const double lo = is_x ? kTableXLo : -kTableYHalf, hi = is_x ? kTableXHi : kTableYHalf;
  if (v[0] < lo || v[1] > hi)
    r.fail(n, std::string("expected ") + (is_x ? "x" : "y") + " of " + what + " on the table top [" +
                  fmt(lo) + ", " + fmt(hi) + "] m, got [" + fmt(v[0]) + ", " + fmt(v[1]) + "]");
}

// The name of a list entry (objects, fixtures, includes); fails when absent or not an identifier.
std::string entry_name(const Reader& r, const YAML::Node& n, const std::string& kind, std::size_t index) {
  if (!n["name"]) r.fail(n, "expected a 'name' in " + kind + " " + std::to_string(index));
  const std::string name = r.str(n["name"], "the " + kind + "'s name");
  if (!valid_identifier(name))
    r.fail(n["name"],
           "expected an identifier ([A-Za-z][A-Za-z0-9_]*) for the " + kind + "'s name, got '" + name + "'");
  return name;
}

void read_object(const Reader& r, const YAML::Node& n, std::size_t index, ObjectDef& o) {
  r.need_map(n, "an object");
  o.loc = r.loc(n);
  o.name = entry_name(r, n, "object", index);
  const std::string what = "object '" + o.name + "'";
  r.check_keys(n, {"name", "shape", "size", "mass", "friction", "colors", "color", "x", "y", "yaw"}, what);
  r.attempt([&] {
    if (!n["shape"]) return;
    const std::string s = r.str(n["shape"], "shape");
    if (s == "box")
      o.shape = Shape::kBox;
    else if (s == "cylinder")
      o.shape = Shape::kCylinder;
    else if (s == "sphere")
      o.shape = Shape::kSphere;
    else
      r.fail(n["shape"], "expected shape box, cylinder or sphere for " + what + ", got '" + s + "'");
  });
  if (o.shape != Shape::kBox) o.size = o.shape == Shape::kCylinder ? Vec3{0.025, 0.04, 0} : Vec3{0.025, 0, 0};
  r.attempt([&] {
    if (!n["size"]) return;
    const std::size_t want = o.shape == Shape::kBox ? 3 : o.shape == Shape::kCylinder ? 2 : 1;
    const auto v = r.numbers(n["size"],
                             "the size of " + what +
                                 (want == 3   ? " (half extents x y z)"
                                  : want == 2 ? " (radius, half height)"
                                              : " (radius)"),
                             want, want);
    for (std::size_t i = 0; i < want; ++i)
      if (v[i] <= 0 || v[i] > 0.2) r.fail(n["size"], "expected sizes in (0, 0.2] m for " + what);
    o.size = {0, 0, 0};
    for (std::size_t i = 0; i < want; ++i) o.size[i] = v[i];
  });
  r.attempt([&] {
    if (n["mass"]) o.mass = r.positive(n["mass"], "the mass of " + what);
  });
  r.attempt([&] {
    if (n["friction"]) o.friction = r.positive(n["friction"], "the friction of " + what);
  });
  r.attempt([&] {
    if (n["colors"] && n["color"])
      r.fail(n["color"], "expected 'colors' or 'color' in " + what + ", not both");
    const YAML::Node colors = n["colors"] ? n["colors"] : n["color"];
    if (!colors) return;
    auto is_number = [](const YAML::Node& x) {
      double v = 0;
      return x.IsScalar() && YAML::convert<double>::decode(x, v);
    };
    if (colors.IsSequence() && colors.size() == 0) r.fail(colors, "expected at least one colour for " + what);
    if (colors.IsSequence() && !is_number(colors[0])) {
      // A list of choices: palette names, [r, g, b(, a)] lists or {name, rgba} maps.
      for (std::size_t i = 0; i < colors.size(); ++i)
        r.attempt([&] {
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
        });
    } else {
      NamedColor c;
      c.rgba = r.color(colors, "the colour of " + what, &c.name);
      if (c.name.empty()) c.name = "colored";
      o.colors.push_back(c);
    }
  });
  if (o.colors.empty()) o.colors.push_back({"red", kPalette[0].rgba});
  r.attempt([&] {
    if (!n["x"]) return;
    o.x = r.range(n["x"], "x of " + what);
    check_on_table(r, n["x"], o.x, true, what);
  });
  r.attempt([&] {
    if (!n["y"]) return;
    o.y = r.range(n["y"], "y of " + what);
    check_on_table(r, n["y"], o.y, false, what);
  });
  r.attempt([&] {
    if (n["yaw"]) o.yaw = r.range(n["yaw"], "yaw of " + what);
  });
}

void read_fixture(const Reader& r, const YAML::Node& n, std::size_t index, FixtureDef& f) {
  r.need_map(n, "a fixture");
  f.loc = r.loc(n);
  f.name = entry_name(r, n, "fixture", index);
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
    r.fail(n["type"], "expected type drawer, button, bin, region or marker for " + what + ", got '" + t +
                          "'" + hint(t, {"drawer", "button", "bin", "region", "marker"}));
  }
  r.attempt([&] {
    if (!n["x"]) return;
    f.x = r.range(n["x"], "x of " + what);
    check_on_table(r, n["x"], f.x, true, what);
  });
  r.attempt([&] {
    if (!n["y"]) return;
    f.y = r.range(n["y"], "y of " + what);
    check_on_table(r, n["y"], f.y, false, what);
  });
  if (f.kind == FixtureKind::kMarker) f.z = {0.1, 0.1};
  r.attempt([&] {
    if (!n["z"]) return;
    if (f.kind != FixtureKind::kMarker) r.fail(n["z"], "'z' applies to markers only, not to " + what);
    f.z = r.range(n["z"], "z of " + what);
  });
  r.attempt([&] {
    if (n["yaw"]) f.yaw = r.range(n["yaw"], "yaw of " + what);
  });
  r.attempt([&] {
    if (!n["size"]) return;
    const std::size_t want = f.kind == FixtureKind::kDrawer || f.kind == FixtureKind::kBin ? 3
                             : f.kind == FixtureKind::kRegion                              ? 2
                                                                                           : 1;
    const auto v = r.numbers(n["size"], "the size of " + what, want, want);
    for (std::size_t i = 0; i < want; ++i) {
      if (v[i] <= 0 || v[i] > 0.4) r.fail(n["size"], "expected sizes in (0, 0.4] m for " + what);
      f.size[i] = v[i];
    }
  });
  r.attempt([&] {
    if (!n["travel"]) return;
    if (!f.has_joint()) r.fail(n["travel"], "'travel' applies to drawers and buttons, not to " + what);
    f.travel = r.positive(n["travel"], "the travel of " + what);
  });
  r.attempt([&] {
    if (!n["open"]) return;
    if (f.kind != FixtureKind::kDrawer) r.fail(n["open"], "'open' applies to drawers only, not to " + what);
    f.joint_init = r.range(n["open"], "the initial opening of " + what);
    if (f.joint_init[0] < 0 || f.joint_init[1] > f.travel)
      r.fail(n["open"], "expected the initial opening within [0, travel] for " + what);
  });
  r.attempt([&] {
    if (n["color"]) f.rgba = r.color(n["color"], "the colour of " + what);
  });
}

// A path written in the task file, relative to the task file's folder.
std::string resolve_path(const std::string& task_file, const std::string& written) {
  fs::path p(written);
  if (p.is_relative()) p = fs::path(task_file).parent_path() / p;
  std::error_code ec;
  const fs::path canon = fs::weakly_canonical(p, ec);
  return (ec ? p : canon).string();
}

void read_model_file(const Reader& r, const YAML::Node& n, const std::string& what, IncludeDef& inc,
                     std::vector<Diagnostic>& out) {
  if (!n["file"]) r.fail(n, "expected a 'file' (an MJCF model, relative to this task file) in " + what);
  inc.file = r.str(n["file"], "the model file of " + what);
  inc.path = resolve_path(r.file(), inc.file);
  std::error_code ec;
  if (!fs::is_regular_file(inc.path, ec))
    r.fail(n["file"], "expected an MJCF file for " + what + " at '" + inc.path + "', there is none");
  if (!read_included_model(inc.path, inc.name, inc.kind, r.loc(n["file"]), inc.model, out)) throw Skip{};
}

void read_include(const Reader& r, const YAML::Node& n, std::size_t index, IncludeDef& inc,
                  std::vector<Diagnostic>& out) {
  r.need_map(n, "an include");
  inc.loc = r.loc(n);
  inc.name = entry_name(r, n, "include", index);
  const std::string what = "include '" + inc.name + "'";
  r.check_keys(n, {"name", "file", "kind", "x", "y", "z", "yaw", "radius"}, what);
  r.attempt([&] {
    if (!n["kind"]) return;
    const std::string k = r.str(n["kind"], "the kind of " + what);
    if (k == "fixture")
      inc.kind = IncludeDef::Kind::kFixture;
    else if (k == "object")
      inc.kind = IncludeDef::Kind::kObject;
    else if (k == "robot")
      r.fail(n["kind"],
             "a robot is given with the top-level 'robot' key, not as an include; expected kind "
             "fixture or object");
    else
      r.fail(n["kind"], "expected kind fixture or object for " + what + ", got '" + k + "'");
  });
  r.attempt([&] {
    if (!n["x"]) return;
    inc.x = r.range(n["x"], "x of " + what);
    check_on_table(r, n["x"], inc.x, true, what);
  });
  r.attempt([&] {
    if (!n["y"]) return;
    inc.y = r.range(n["y"], "y of " + what);
    check_on_table(r, n["y"], inc.y, false, what);
  });
  inc.z = {std::nan(""), std::nan("")};  // objects: unset means "resting on the table"
  if (inc.kind == IncludeDef::Kind::kFixture) inc.z = {0, 0};
  r.attempt([&] {
    if (n["z"]) inc.z = r.range(n["z"], "z of " + what);
  });
  r.attempt([&] {
    if (n["yaw"]) inc.yaw = r.range(n["yaw"], "yaw of " + what);
  });
  r.attempt([&] {
    if (n["radius"]) inc.radius = r.positive(n["radius"], "the footprint radius of " + what);
  });
  read_model_file(r, n, what, inc, out);
}

// One name of the robot's model, checked against what the model file defines.
std::string robot_name(const Reader& r, const YAML::Node& n, const std::vector<std::string>& known,
                       const std::string& kind, const std::string& role) {
  const std::string name = r.str(n, role);
  if (std::find(known.begin(), known.end(), name) == known.end())
    r.fail(n, "unknown " + kind + " '" + name + "' for " + role + "; the robot's model has: " +
                  (known.empty() ? std::string("(none)") : join(known)) + hint(name, known));
  return name;
}

void read_robot(const Reader& r, const YAML::Node& n, TaskDef& t, std::vector<Diagnostic>& out) {
  r.need_map(n, "'robot'");
  RobotDef rd;
  rd.loc = r.loc(n);
  r.check_keys(n,
               {"file", "base", "yaw", "ee_site", "arm_joints", "arm_actuators", "gripper_actuators",
                "finger_joints", "gripper_open", "gripper_closed", "camera", "home"},
               "'robot'");
  IncludeDef inc;
  inc.name = "robot";
  inc.kind = IncludeDef::Kind::kRobot;
  inc.loc = rd.loc;
  inc.x = {-0.5, -0.5};
  r.attempt([&] {
    if (!n["base"]) return;
    const Vec3 b = r.vec3(n["base"], "the robot's base position");
    inc.x = {b[0], b[0]};
    inc.y = {b[1], b[1]};
    inc.z = {b[2], b[2]};
  });
  r.attempt([&] {
    if (n["yaw"]) {
      const double y = r.number(n["yaw"], "the robot's yaw");
      inc.yaw = {y, y};
    }
  });
  read_model_file(r, n, "'robot'", inc, out);
  const IncludedModel& m = inc.model;
  std::vector<std::string> hinge_slide;
  for (std::size_t j = 0; j < m.joints.size(); ++j)
    if (m.joint_types[j] == "hinge" || m.joint_types[j] == "slide") hinge_slide.push_back(m.joints[j]);
  for (const char* key : {"ee_site", "arm_joints", "gripper_actuators", "home"})
    if (!n[key]) r.report(n, std::string("expected '") + key + "' in 'robot'");
  r.attempt([&] {
    if (n["ee_site"]) rd.ee_site = robot_name(r, n["ee_site"], m.sites, "site", "robot.ee_site");
  });
  r.attempt([&] {
    if (!n["arm_joints"]) return;
    r.need_list(n["arm_joints"], "robot.arm_joints");
    if (n["arm_joints"].size() < 1 || n["arm_joints"].size() > 7)
      r.fail(n["arm_joints"],
             "expected 1 to 7 arm joints in robot.arm_joints, got " + std::to_string(n["arm_joints"].size()));
    for (std::size_t i = 0; i < n["arm_joints"].size(); ++i)
      r.attempt([&] {
        rd.arm_joints.push_back(
            robot_name(r, n["arm_joints"][i], hinge_slide, "hinge or slide joint", "robot.arm_joints"));
      });
  });
  r.attempt([&] {
    if (!n["arm_actuators"]) return;
    r.need_list(n["arm_actuators"], "robot.arm_actuators");
    for (std::size_t i = 0; i < n["arm_actuators"].size(); ++i)
      r.attempt([&] {
        rd.arm_actuators.push_back(
            robot_name(r, n["arm_actuators"][i], m.actuators, "actuator", "robot.arm_actuators"));
      });
    if (n["arm_joints"] && n["arm_actuators"].size() != n["arm_joints"].size())
      r.fail(n["arm_actuators"],
             "expected one actuator per arm joint (" + std::to_string(n["arm_joints"].size()) +
                 ") in robot.arm_actuators, got " + std::to_string(n["arm_actuators"].size()));
  });
  r.attempt([&] {
    if (!n["gripper_actuators"]) return;
    const YAML::Node g = n["gripper_actuators"];
    if (g.IsScalar()) {
      rd.gripper_actuators.push_back(robot_name(r, g, m.actuators, "actuator", "robot.gripper_actuators"));
      return;
    }
    r.need_list(g, "robot.gripper_actuators");
    for (std::size_t i = 0; i < g.size(); ++i)
      r.attempt([&] {
        rd.gripper_actuators.push_back(
            robot_name(r, g[i], m.actuators, "actuator", "robot.gripper_actuators"));
      });
  });
  r.attempt([&] {
    if (!n["finger_joints"]) return;
    r.need_list(n["finger_joints"], "robot.finger_joints");
    if (n["finger_joints"].size() != 2)
      r.fail(n["finger_joints"], "expected two finger joints in robot.finger_joints, got " +
                                     std::to_string(n["finger_joints"].size()));
    for (std::size_t i = 0; i < 2; ++i)
      r.attempt([&] {
        rd.finger_joints.push_back(
            robot_name(r, n["finger_joints"][i], hinge_slide, "hinge or slide joint", "robot.finger_joints"));
      });
  });
  r.attempt([&] {
    if (n["gripper_open"]) rd.gripper_open = r.number(n["gripper_open"], "robot.gripper_open");
  });
  r.attempt([&] {
    if (n["gripper_closed"]) rd.gripper_closed = r.number(n["gripper_closed"], "robot.gripper_closed");
  });
  r.attempt([&] {
    if (n["camera"]) {
      rd.camera = robot_name(r, n["camera"], m.cameras, "camera", "robot.camera");
    } else if (std::find(m.cameras.begin(), m.cameras.end(), rd.camera) == m.cameras.end()) {
      r.fail(n,
             "expected a wrist camera for the eye_in_hand view: the robot's model has no camera named "
             "'eye_in_hand'; name one with robot.camera; cameras in the model: " +
                 (m.cameras.empty() ? std::string("(none)") : join(m.cameras)));
    }
  });
  r.attempt([&] {
    if (!n["home"]) return;
    const auto h = r.numbers(n["home"], "robot.home (one value per arm joint)", 1, 7);
    rd.home = h;
    if (n["arm_joints"] && n["arm_joints"].IsSequence() && h.size() != n["arm_joints"].size())
      r.fail(n["home"], "expected one home value per arm joint (" + std::to_string(n["arm_joints"].size()) +
                            ") in robot.home, got " + std::to_string(h.size()));
  });
  rd.include = static_cast<int>(t.includes.size());
  t.includes.push_back(std::move(inc));
  t.robot = std::move(rd);
}

// Whether `name` refers into an entry that failed to read (its own problem is reported already).
bool refers_to_broken(const TaskDef& task, const std::string& name) {
  const std::string head = name.substr(0, name.find('.'));
  return std::find(task.broken_names.begin(), task.broken_names.end(), head) != task.broken_names.end();
}

void check_entity(const Reader& r, const TaskDef& task, const YAML::Node& n, const std::string& what,
                  bool body_only = false) {
  const std::string name = r.str(n, what);
  EntityRef ref;
  if (!parse_entity(task, name, ref)) {
    if (refers_to_broken(task, name)) throw Skip{};
    const auto known = entity_names(task);
    std::string list;
    for (std::size_t i = 0; i < known.size() && i < 40; ++i) list += (list.empty() ? "" : ", ") + known[i];
    r.fail(n, "unknown entity '" + name + "' for " + what + "; known: " + list + hint(name, known));
  }
  if (body_only && !is_body_like(task, ref))
    r.fail(n, "expected an object (or a body, geom or site of an included model) for " + what + ", got '" +
                  name + "'");
}

void check_joint(const Reader& r, const TaskDef& task, const YAML::Node& n, const std::string& what) {
  const std::string name = r.str(n, what);
  EntityRef ref;
  if (!parse_entity(task, name, ref) && refers_to_broken(task, name)) throw Skip{};
  if (!parse_entity(task, name, ref) || !is_joint_like(task, ref))
    r.fail(
        n,
        "expected a fixture with a joint (drawer, button) or a hinge/slide joint of an included model for " +
            what + ", got '" + name + "'");
}

int check_fixture(const Reader& r, const TaskDef& task, const YAML::Node& n, const std::string& what) {
  const std::string name = r.str(n, what);
  const int f = task.fixture_index(name);
  if (f < 0 && refers_to_broken(task, name)) throw Skip{};
  if (f < 0) {
    std::vector<std::string> names;
    for (const auto& fx : task.fixtures) names.push_back(fx.name);
    r.fail(n, "expected a fixture for " + what + ", got '" + name +
                  "'; fixtures: " + (names.empty() ? std::string("(none)") : join(names)));
  }
  return f;
}

RewardTermDef read_reward(const Reader& r, const TaskDef& task, const YAML::Node& n) {
  r.need_map(n, "a reward term");
  RewardTermDef t;
  t.loc = r.loc(n);
  if (!n["term"])
    r.fail(n, "expected a 'term' (reach, distance, lift, joint, grasp, success) in the reward term");
  const std::string k = r.str(n["term"], "the reward term");
  auto need = [&](std::initializer_list<const char*> keys) {
    bool ok = true;
    for (const char* key : keys)
      if (!n[key]) {
        r.report(n, "expected '" + std::string(key) + "' in reward term '" + k + "'");
        ok = false;
      }
    if (!ok) throw Skip{};
  };
  if (k == "reach") {
    t.kind = RewardTermDef::Kind::kReach;
    r.check_keys(n, {"term", "weight", "object"}, "reward term 'reach'");
    need({"object"});
    check_entity(r, task, n["object"], "reward term 'reach'");
    t.a = n["object"].Scalar();
  } else if (k == "distance") {
    t.kind = RewardTermDef::Kind::kDistance;
    r.check_keys(n, {"term", "weight", "a", "b"}, "reward term 'distance'");
    need({"a", "b"});
    r.attempt([&] { check_entity(r, task, n["a"], "reward term 'distance'"); });
    check_entity(r, task, n["b"], "reward term 'distance'");
    t.a = n["a"].Scalar();
    t.b = n["b"].Scalar();
  } else if (k == "lift") {
    t.kind = RewardTermDef::Kind::kLift;
    r.check_keys(n, {"term", "weight", "object", "height"}, "reward term 'lift'");
    need({"object", "height"});
    r.attempt([&] { check_entity(r, task, n["object"], "reward term 'lift'", true); });
    t.a = n["object"].Scalar();
    t.height = r.positive(n["height"], "the height of reward term 'lift'");
  } else if (k == "joint") {
    t.kind = RewardTermDef::Kind::kJoint;
    r.check_keys(n, {"term", "weight", "joint", "from", "to"}, "reward term 'joint'");
    need({"joint", "from", "to"});
    r.attempt([&] { check_joint(r, task, n["joint"], "reward term 'joint'"); });
    t.a = n["joint"].Scalar();
    t.from = r.number(n["from"], "'from' of reward term 'joint'");
    t.to = r.number(n["to"], "'to' of reward term 'joint'");
    if (t.from == t.to) r.fail(n["to"], "expected 'to' different from 'from' in reward term 'joint'");
  } else if (k == "grasp") {
    t.kind = RewardTermDef::Kind::kGrasp;
    r.check_keys(n, {"term", "weight", "object"}, "reward term 'grasp'");
    need({"object"});
    check_entity(r, task, n["object"], "reward term 'grasp'", true);
    t.a = n["object"].Scalar();
  } else if (k == "success") {
    t.kind = RewardTermDef::Kind::kSuccess;
    r.check_keys(n, {"term", "weight"}, "reward term 'success'");
  } else {
    r.fail(n["term"], "expected a reward term reach, distance, lift, joint, grasp or success, got '" + k +
                          "'" + hint(k, {"reach", "distance", "lift", "joint", "grasp", "success"}));
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
               Reader::describe(n) + (n.IsMap() ? " of " + std::to_string(n.size()) + " keys" : ""));
  }
  const WaypointKindInfo* info = nullptr;
  for (const auto& w : kWaypoints)
    if (kind_name == w.name) info = &w;
  if (!info) {
    std::vector<std::string> names;
    for (const auto& w : kWaypoints) names.push_back(w.name);
    r.fail(key_node, "unknown expert step '" + kind_name + "'; expected one of: " + join(names) +
                         hint(kind_name, names));
  }
  WaypointDef w;
  w.kind = info->kind;
  w.loc = r.loc(n);
  w.tolerance = info->tolerance;
  w.timeout = info->timeout;
  const std::string what = "expert step '" + kind_name + "'";
  bool target_ok = true;
  if (args && args.IsMap()) {
    r.check_keys(args,
                 {"target", "to", "offset", "local_offset", "height", "tolerance", "timeout", "speed",
                  "gripper", "joint_target", "require"},
                 what);
    target_ok = r.attempt([&] {
      if (!args["target"]) return;
      check_entity(r, task, args["target"], what);
      w.target = args["target"].Scalar();
    });
    r.attempt([&] {
      if (!args["to"]) return;
      check_fixture(r, task, args["to"], "'to' of " + what);
      w.to = args["to"].Scalar();
    });
    r.attempt([&] {
      if (args["offset"] && args["local_offset"])
        r.fail(args["local_offset"], "expected 'offset' or 'local_offset', not both");
      if (args["offset"]) w.offset = r.vec3(args["offset"], "the offset of " + what);
      if (args["local_offset"]) {
        w.offset = r.vec3(args["local_offset"], "the local offset of " + what);
        w.local_offset = true;
      }
    });
    r.attempt([&] {
      if (args["height"]) w.height = r.number(args["height"], "the height of " + what);
    });
    r.attempt([&] {
      if (args["tolerance"]) w.tolerance = r.positive(args["tolerance"], "the tolerance of " + what);
    });
    r.attempt([&] {
      if (args["timeout"]) w.timeout = r.integer(args["timeout"], "the timeout of " + what, 1, 100000);
    });
    r.attempt([&] {
      if (!args["speed"]) return;
      w.speed = r.positive(args["speed"], "the speed of " + what);
      if (w.speed > 1)
        r.fail(args["speed"], "expected a speed in (0, 1] for " + what + ", got " + args["speed"].Scalar());
    });
    r.attempt([&] {
      if (!args["gripper"]) return;
      const double g = r.number(args["gripper"], "the gripper command of " + what);
      if (g < -1 || g > 1)
        r.fail(args["gripper"], "expected a gripper command in [-1, 1] (-1 open, +1 closed) for " + what +
                                    ", got " + args["gripper"].Scalar());
      w.gripper = g;
    });
    r.attempt([&] {
      if (args["joint_target"])
        w.joint_target = r.number(args["joint_target"], "the joint target of " + what);
    });
    r.attempt([&] {
      if (args["require"]) w.require = r.predicate(task, args["require"], "'require' of " + what);
    });
  }
  if (info->needs_target && w.target.empty()) {
    if (target_ok) r.fail(n, "expected a 'target' for " + what);
    throw Skip{};
  }
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

const std::vector<std::string>& top_level_keys() {
  static const std::vector<std::string> keys = {
      "name",    "description", "horizon",        "instruction", "objects",      "fixtures",
      "include", "robot",       "min_separation", "success",     "reward",       "expert",
      "cameras", "lighting",    "action_noise",   "scene",       "perturbations"};
  return keys;
}

void read_task(const Reader& r, const YAML::Node& root, TaskDef& t, std::vector<Diagnostic>& out) {
  if (!root.IsMap())
    r.fail(root, "expected a map at the top of the task file, got " + Reader::describe(root));
  r.check_keys(root, top_level_keys(), "the task file");
  t.file = r.file();
  r.attempt([&] {
    if (!root["name"]) r.fail(root, "expected a 'name' in the task file");
    t.name = r.str(root["name"], "the task's name");
    if (!valid_identifier(t.name))
      r.fail(root["name"],
             "expected an identifier ([A-Za-z][A-Za-z0-9_]*) for the task's name, got '" + t.name + "'");
  });
  r.attempt([&] {
    if (root["description"]) t.description = r.str(root["description"], "the description");
  });
  r.attempt([&] {
    if (!root["horizon"]) r.fail(root, "expected a 'horizon' (control steps per episode) in the task file");
    t.horizon = r.integer(root["horizon"], "the horizon", 1, 100000);
  });
  r.attempt([&] {
    if (!root["min_separation"]) return;
    t.min_separation = r.number(root["min_separation"], "min_separation");
    if (t.min_separation < 0)
      r.fail(root["min_separation"],
             "expected min_separation >= 0 m, got " + root["min_separation"].Scalar());
  });

  std::set<std::string> names = {"tcp", "gripper", "table"};
  auto claim = [&](const YAML::Node& n, const std::string& name) {
    if (!names.insert(name).second)
      r.fail(n["name"] ? n["name"] : n,
             "the name '" + name + "' is used twice (or is reserved); expected a new name");
  };
  // Objects, fixtures and includes: an entry whose name was read stays (even with other problems), so that
  // references to it do not add problems of their own.
  auto read_list = [&](const char* key, auto&& read_one) {
    r.attempt([&] {
      if (!root[key]) return;
      r.need_list(root[key], std::string("'") + key + "'");
      for (std::size_t i = 0; i < root[key].size(); ++i) r.attempt([&] { read_one(root[key][i], i); });
    });
  };
  read_list("objects", [&](const YAML::Node& n, std::size_t i) {
    ObjectDef o;
    try {
      read_object(r, n, i, o);
    } catch (const Skip&) {
      if (o.name.empty()) throw;
    }
    claim(n, o.name);
    t.objects.push_back(o);
  });
  read_list("fixtures", [&](const YAML::Node& n, std::size_t i) {
    FixtureDef f;
    try {
      read_fixture(r, n, i, f);
    } catch (const Skip&) {
      if (!f.name.empty()) t.broken_names.push_back(f.name);
      throw;
    }
    claim(n, f.name);
    t.fixtures.push_back(f);
  });
  read_list("include", [&](const YAML::Node& n, std::size_t i) {
    IncludeDef inc;
    try {
      read_include(r, n, i, inc, out);
    } catch (const Skip&) {
      if (!inc.name.empty()) t.broken_names.push_back(inc.name);
      throw;
    }
    claim(n, inc.name);
    t.includes.push_back(std::move(inc));
  });
  const bool robot_ok = r.attempt([&] {
    if (!root["robot"]) return;
    if (!names.insert("robot").second)
      r.fail(root["robot"], "the name 'robot' is taken; the robot's elements are robot.<name>");
    read_robot(r, root["robot"], t, out);
  });
  if (!robot_ok) t.broken_names.push_back("robot");
  for (std::size_t i = 0; i < t.includes.size(); ++i) {
    const IncludedModel& m = t.includes[i].model;
    std::set<std::string> seen;
    for (const auto* list : {&m.bodies, &m.sites, &m.geoms, &m.joints})
      for (const auto& n : *list)
        if (seen.insert(n).second) t.elements.push_back({static_cast<int>(i), n});
  }
  if (t.objects.empty() && t.fixtures.empty() && t.includes.empty() && !root["objects"] &&
      !root["fixtures"] && !root["include"])
    r.report(root, "expected at least one object, fixture or include");

  r.attempt([&] {
    if (!root["instruction"]) return;
    const YAML::Node ins = root["instruction"];
    std::vector<YAML::Node> items;
    if (ins.IsSequence())
      for (std::size_t i = 0; i < ins.size(); ++i) items.push_back(ins[i]);
    else
      items.push_back(ins);
    static const std::regex ph("\\{([^}]*)\\}");
    for (const auto& n : items)
      r.attempt([&] {
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
      });
  });
  if (t.instructions.empty()) t.instructions.push_back(t.description.empty() ? t.name : t.description);

  r.attempt([&] {
    if (!root["success"]) r.fail(root, "expected a 'success' predicate in the task file");
    t.success = r.predicate(t, root["success"], "success predicate");
    t.success_text = predicate_to_string(t.success);
  });

  r.attempt([&] {
    if (!root["reward"]) return;
    r.need_list(root["reward"], "'reward'");
    for (std::size_t i = 0; i < root["reward"].size(); ++i)
      r.attempt([&] { t.reward.push_back(read_reward(r, t, root["reward"][i])); });
  });
  if (t.reward.empty())
    t.reward.push_back({RewardTermDef::Kind::kSuccess, "", "", 0, 0, 0, 1.0, r.loc(root)});

  r.attempt([&] {
    if (!root["expert"]) r.fail(root, "expected an 'expert' program (a list of waypoints) in the task file");
    r.need_list(root["expert"], "'expert'");
    if (root["expert"].size() == 0) r.fail(root["expert"], "expected at least one expert step");
    for (std::size_t i = 0; i < root["expert"].size(); ++i)
      r.attempt([&] { t.expert.push_back(read_waypoint(r, t, root["expert"][i])); });
  });

  r.attempt([&] {
    if (!root["cameras"]) return;
    const YAML::Node cams = root["cameras"];
    r.need_map(cams, "'cameras'");
    for (auto it = cams.begin(); it != cams.end(); ++it)
      r.attempt([&] {
        const std::string name = it->first.Scalar();
        if (name != "agentview")
          r.fail(it->first, "unknown camera '" + name +
                                "'; expected agentview (the eye_in_hand camera moves with "
                                "the hand: a task's own robot names it with robot.camera)");
        const YAML::Node c = it->second;
        r.need_map(c, "camera '" + name + "'");
        r.check_keys(c, {"pos", "lookat", "fovy", "jitter"}, "camera '" + name + "'");
        CameraDef cd;
        cd.name = name;
        cd.loc = r.loc(c);
        // Without pos and lookat the camera stays where it is (a jitter alone); a moved camera's fovy is 45
        // unless given.
        if (!c["pos"] != !c["lookat"])
          r.fail(c, "expected both 'pos' and 'lookat' for camera '" + name + "' (or neither: it stays put)");
        if (c["pos"]) {
          cd.pos = r.vec3(c["pos"], "the position of camera '" + name + "'");
          cd.lookat = r.vec3(c["lookat"], "the look-at point of camera '" + name + "'");
          cd.fovy = 45.0;
        }
        if (cd.pos == cd.lookat)
          r.fail(c["lookat"], "expected a look-at point away from the camera's position");
        if (c["jitter"]) {
          cd.jitter = r.number(c["jitter"], "the jitter of camera '" + name + "' (m)");
          if (cd.jitter < 0 || cd.jitter > 0.2)
            r.fail(c["jitter"],
                   "expected a jitter in [0, 0.2] m for camera '" + name + "', got " + c["jitter"].Scalar());
        }
        if (c["fovy"]) {
          cd.fovy = r.positive(c["fovy"], "the fovy of camera '" + name + "'");
          if (cd.fovy >= 170) r.fail(c["fovy"], "expected fovy below 170 degrees, got " + c["fovy"].Scalar());
        }
        t.cameras.push_back(cd);
      });
  });
  r.attempt([&] {
    if (!root["lighting"]) return;
    const YAML::Node l = root["lighting"];
    r.need_map(l, "'lighting'");
    r.check_keys(l, {"brightness", "color"}, "'lighting'");
    t.lighting.loc = r.loc(l);
    if (l["brightness"]) {
      t.lighting.brightness = r.number(l["brightness"], "the lighting's brightness");
      if (t.lighting.brightness < 0 || t.lighting.brightness > 4)
        r.fail(l["brightness"],
               "expected a brightness in [0, 4] (1 as built), got " + l["brightness"].Scalar());
    }
    if (l["color"]) t.lighting.color = r.color(l["color"], "the lighting's colour");
  });
  r.attempt([&] {
    if (!root["action_noise"]) return;
    t.action_noise = r.number(root["action_noise"], "action_noise");
    if (t.action_noise < 0 || t.action_noise > 2)
      r.fail(root["action_noise"], "expected action_noise in [0, 2] (std on the [-1, 1] action scale), got " +
                                       root["action_noise"].Scalar());
  });
  r.attempt([&] {
    if (!root["scene"]) return;
    t.scene_mjcf = r.str(root["scene"], "'scene' (MJCF text for <worldbody>)");
    t.scene_loc = r.loc(root["scene"]);
    // A block scalar (| or >) starts on the line after its indicator.
    const char c = r.source_char(root["scene"]);
    t.scene_first_line = t.scene_loc.line + (c == '|' || c == '>' ? 1 : 0);
  });
}

// ---- Perturbations: a part of a task file laid over the task's own ----

// Whether n is a list whose every entry is a map with a text `name` (objects, fixtures, include).
bool named_list(const YAML::Node& n) {
  if (!n.IsSequence()) return false;
  for (std::size_t i = 0; i < n.size(); ++i)
    if (!n[i].IsMap() || !n[i]["name"] || !n[i]["name"].IsScalar()) return false;
  return true;
}

// `over` laid over `base`: maps merge key by key, lists of named entries entry by entry (an entry with a new
// name is added at the end), anything else is replaced. Only new container nodes are made, never an
// assignment into base or over (a yaml-cpp assignment writes through every copy of a node), and every value
// keeps the place where it was written, so a problem in a variant is reported where the file says it.
YAML::Node overlay(const YAML::Node& base, const YAML::Node& over) {
  if (base.IsMap() && over.IsMap()) {
    YAML::Node out(YAML::NodeType::Map);
    for (auto it = base.begin(); it != base.end(); ++it) {
      const YAML::Node o = it->first.IsScalar() ? over[it->first.Scalar()] : YAML::Node();
      out[it->first] = o ? overlay(it->second, o) : it->second;
    }
    for (auto it = over.begin(); it != over.end(); ++it)
      if (!it->first.IsScalar() || !base[it->first.Scalar()]) out[it->first] = it->second;
    return out;
  }
  if (named_list(base) && named_list(over)) {
    YAML::Node out(YAML::NodeType::Sequence);
    std::set<std::string> matched;
    for (std::size_t i = 0; i < base.size(); ++i) {
      const std::string name = base[i]["name"].Scalar();
      std::size_t j = 0;
      while (j < over.size() && over[j]["name"].Scalar() != name) ++j;
      if (j < over.size()) matched.insert(name);
      out.push_back(j < over.size() ? overlay(base[i], over[j]) : base[i]);
    }
    for (std::size_t j = 0; j < over.size(); ++j)
      if (!matched.count(over[j]["name"].Scalar())) out.push_back(over[j]);
    return out;
  }
  return over;
}

// The top-level map without its `perturbations` (a variant declares none of its own).
YAML::Node without_perturbations(const YAML::Node& root) {
  YAML::Node out(YAML::NodeType::Map);
  for (auto it = root.begin(); it != root.end(); ++it)
    if (!it->first.IsScalar() || it->first.Scalar() != "perturbations") out[it->first] = it->second;
  return out;
}

// Reads the variant `with` makes of the task at `root`; its problems go to `problems`.
TaskDef read_variant(const Reader& r, const YAML::Node& root, const YAML::Node& with,
                     std::vector<Diagnostic>& problems) {
  TaskDef v;
  Reader vr(r.file(), r.text(), problems);
  vr.attempt([&] { read_task(vr, overlay(without_perturbations(root), with), v, problems); });
  return v;
}

// The `perturbations` list: each entry names a variant and says what changes; each variant must read as a
// task of its own (its problems are reported at the place in the file, prefixed with the variant's name).
void read_perturbations(const Reader& r, const YAML::Node& root, TaskDef& t) {
  r.attempt([&] {
    if (!root["perturbations"]) return;
    const YAML::Node list = root["perturbations"];
    r.need_list(list, "'perturbations'");
    for (std::size_t i = 0; i < list.size(); ++i)
      r.attempt([&] {
        const YAML::Node p = list[i];
        const std::string where = "perturbation " + std::to_string(i + 1);
        r.need_map(p, where);
        r.check_keys(p, {"name", "description", "with"}, where);
        PerturbationDef d;
        d.loc = r.loc(p);
        if (!p["name"]) r.fail(p, "expected a 'name' for " + where);
        d.name = r.str(p["name"], "the name of " + where);
        if (!valid_identifier(d.name))
          r.fail(p["name"], "expected an identifier ([A-Za-z][A-Za-z0-9_]*) for the name of " + where +
                                ", got '" + d.name + "'");
        if (t.perturbation_index(d.name) >= 0)
          r.fail(p["name"], "perturbation '" + d.name + "' is declared twice; expected each name once");
        if (p["description"]) d.description = r.str(p["description"], "the description of '" + d.name + "'");
        if (!p["with"])
          r.fail(p, "expected 'with' in perturbation '" + d.name +
                        "': the task file keys it changes, e.g. with: {lighting: {brightness: 0.5}}");
        const YAML::Node with = p["with"];
        r.need_map(with, "'with' of perturbation '" + d.name + "' (task file keys)");
        for (auto it = with.begin(); it != with.end(); ++it)
          if (it->first.IsScalar() && (it->first.Scalar() == "name" || it->first.Scalar() == "perturbations"))
            r.fail(it->first, "a perturbation cannot change '" + it->first.Scalar() +
                                  "'; expected keys that describe the scene, success, reward or expert");
        std::vector<Diagnostic> problems;
        read_variant(r, root, with, problems);
        bool ok = true;
        for (const auto& q : problems)
          if (q.is_error()) {
            r.report_at(q.loc, "perturbation '" + d.name + "': " + q.message);
            ok = false;
          }
        if (ok) t.perturbations.push_back(d);
      });
  });
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

std::optional<TaskDef> read_task_text(const std::string& yaml_text, const std::string& file,
                                      std::vector<Diagnostic>& diagnostics) {
  const std::size_t first = diagnostics.size();
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::ParserException& e) {
    diagnostics.push_back({Diagnostic::Severity::kError,
                           {file, e.mark.line + 1, e.mark.column + 1},
                           "YAML syntax error: " + e.msg});
    return std::nullopt;
  }
  TaskDef t;
  t.source = yaml_text;
  Reader r(file, yaml_text, diagnostics);
  r.attempt([&] { read_task(r, root, t, diagnostics); });
  // Variants only of a task that reads: otherwise each would repeat the task's own problems.
  if (std::none_of(diagnostics.begin() + static_cast<std::ptrdiff_t>(first), diagnostics.end(),
                   [](const Diagnostic& d) { return d.is_error(); }))
    read_perturbations(r, root, t);
  // In the order written: the task file's problems by line, then those in included model files.
  std::stable_sort(diagnostics.begin() + static_cast<std::ptrdiff_t>(first), diagnostics.end(),
                   [&](const Diagnostic& a, const Diagnostic& b) {
                     const bool fa = a.loc.file != file, fb = b.loc.file != file;
                     if (fa != fb) return fb;
                     if (fa) return false;
                     return std::pair(a.loc.line, a.loc.column) < std::pair(b.loc.line, b.loc.column);
                   });
  // The same problem found twice (a key read by two checks) is reported once.
  auto end = std::unique(diagnostics.begin() + static_cast<std::ptrdiff_t>(first), diagnostics.end(),
                         [](const Diagnostic& a, const Diagnostic& b) { return a.str() == b.str(); });
  diagnostics.erase(end, diagnostics.end());
  for (std::size_t i = first; i < diagnostics.size(); ++i)
    if (diagnostics[i].is_error()) return std::nullopt;
  return t;
}

TaskDef parse_task(const std::string& yaml_text, const std::string& file) {
  std::vector<Diagnostic> diagnostics;
  std::optional<TaskDef> t = read_task_text(yaml_text, file, diagnostics);
  if (!t) {
    std::vector<Diagnostic> errors;
    for (auto& d : diagnostics)
      if (d.is_error()) errors.push_back(std::move(d));
    throw TaskFileError(std::move(errors));
  }
  return std::move(*t);
}

namespace {

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("task file: expected a readable file at '" + path + "', could not open it");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TaskDef load_task_file(const std::string& path) {
  return parse_task(read_text_file(path), path);
}

TaskDef perturb_task(const TaskDef& task, const std::string& name) {
  if (task.perturbation_index(name) < 0) {
    std::string known;
    for (const auto& p : task.perturbations) known += (known.empty() ? "" : ", ") + p.name;
    throw InvalidArgument(
        task.file + ": unknown perturbation '" + name + "' of task " + task.name +
        (!task.perturbation.empty()
             ? "; it is already the variant '" + task.perturbation + "', which declares none"
             : "; expected one of the file's `perturbations`: " +
                   (known.empty() ? std::string("(none declared)") : known)));
  }
  const YAML::Node root = YAML::Load(task.source);
  const YAML::Node list = root["perturbations"];
  YAML::Node with;
  for (std::size_t i = 0; i < list.size(); ++i)
    if (list[i]["name"].Scalar() == name) with = list[i]["with"];
  std::vector<Diagnostic> problems;
  Reader r(task.file, task.source, problems);
  TaskDef v = read_variant(r, root, with, problems);
  std::vector<Diagnostic> errors;
  for (auto& d : problems)
    if (d.is_error()) errors.push_back(std::move(d));
  if (!errors.empty()) throw TaskFileError(std::move(errors));
  // The compiled-model cache keys on the source: a variant is another task.
  v.source = task.source + "\n# perturbation: " + name + "\n";
  v.perturbation = name;
  for (auto& o : v.objects) o.drawn_last = task.object_index(o.name) < 0;
  return v;
}

}  // namespace a2w::tasks
