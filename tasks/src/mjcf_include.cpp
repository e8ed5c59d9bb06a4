#include "mjcf_include.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "xml.h"

namespace a2w::tasks {
namespace {

namespace fs = std::filesystem;
using xml::Element;

constexpr double kPi = 3.14159265358979323846;

// Attributes that name another element (or a class) of the same file, and so follow its prefix.
const std::set<std::string> kReferenceAttributes = {
    "class",    "childclass", "material",      "mesh",      "hfield",  "texture", "skin",    "joint",
    "joint1",   "joint2",     "jointinparent", "tendon",    "tendon1", "tendon2", "site",    "sidesite",
    "geom",     "geom1",      "geom2",         "body",      "body1",   "body2",   "objname", "refname",
    "actuator", "target",     "slidersite",    "cranksite", "refsite"};

// Top-level sections carried into the scene, and those left out (the scene's own settings apply).
const std::set<std::string> kKeptSections = {"compiler", "default",  "asset",  "worldbody", "tendon",
                                             "equality", "actuator", "sensor", "contact"};
const std::set<std::string> kIgnoredSections = {"option",   "size",   "visual",   "statistic",
                                                "keyframe", "custom", "extension"};
// Elements of those sections that take a default class.
const std::set<std::string> kClassedTopLevel = {
    "spatial",  "fixed",    "connect",  "weld",   "joint",    "tendon", "distance",    "general", "motor",
    "position", "velocity", "cylinder", "muscle", "adhesion", "pair",   "intvelocity", "damper"};

std::string format_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.12g", v);
  return buf;
}

std::vector<double> numbers_of(const std::string& s, bool& ok) {
  std::vector<double> v;
  std::istringstream in(s);
  double x;
  while (in >> x) v.push_back(x);
  ok = in.eof();
  return v;
}

std::string join_numbers(const std::vector<double>& v) {
  std::string s;
  for (double x : v) {
    if (!s.empty()) s.push_back(' ');
    s.append(format_number(x));
  }
  return s;
}

void mul_quat(const double a[4], const double b[4], double out[4]) {
  const double r[4] = {a[0] * b[0] - a[1] * b[1] - a[2] * b[2] - a[3] * b[3],
                       a[0] * b[1] + a[1] * b[0] + a[2] * b[3] - a[3] * b[2],
                       a[0] * b[2] - a[1] * b[3] + a[2] * b[0] + a[3] * b[1],
                       a[0] * b[3] + a[1] * b[2] - a[2] * b[1] + a[3] * b[0]};
  std::copy(r, r + 4, out);
}

class Rewriter {
 public:
  Rewriter(std::string name, IncludeDef::Kind kind, SourceLoc where, std::vector<Diagnostic>& out)
      : name_(std::move(name)), prefix_(name_ + "/"), kind_(kind), where_(std::move(where)), out_(out) {}

  bool run(const std::string& path, IncludedModel& model) {
    std::vector<std::string> stack{path};
    root_ = load(path, nullptr);
    if (!root_) return false;
    expand(*root_, fs::path(path).parent_path(), stack);
    top_dir_ = fs::path(path).parent_path();
    read_compiler();
    check_sections();
    index_defaults();
    convert_and_collect();
    resolve_asset_paths();
    check_kind(model);
    if (!ok_) return false;
    prefix_names();
    set_collision_bits();
    emit(model);
    model.files = files_;
    model.autolimits = autolimits_;
    return ok_;
  }

 private:
  SourceLoc loc(const Element* e) const {
    if (!e) return where_;
    return {files_[static_cast<std::size_t>(e->source)], e->line, e->column};
  }
  void error(const Element* e, const std::string& msg) {
    out_.push_back({Diagnostic::Severity::kError, loc(e), msg});
    ok_ = false;
  }
  void warning(const Element* e, const std::string& msg) {
    out_.push_back({Diagnostic::Severity::kWarning, loc(e), msg});
  }

  std::unique_ptr<Element> load(const std::string& path, const Element* from) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      error(from, "expected a readable MJCF file at '" + path + "', could not open it");
      return nullptr;
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    const int source = static_cast<int>(files_.size());
    files_.push_back(path);
    std::unique_ptr<Element> root;
    try {
      root = xml::parse(ss.str());
    } catch (const xml::ParseError& e) {
      out_.push_back(
          {Diagnostic::Severity::kError, {path, e.line, e.column}, "MJCF syntax error: " + e.message});
      ok_ = false;
      return nullptr;
    }
    set_source(*root, source);
    if (root->tag != "mujoco") {
      error(root.get(), "expected <mujoco> as the root element of an MJCF file, got <" + root->tag + ">");
      return nullptr;
    }
    return root;
  }

  static void set_source(Element& e, int source) {
    e.source = source;
    for (auto& c : e.children) set_source(*c, source);
  }

  // Replaces every <include file="..."/> by the children of that file's <mujoco>.
  void expand(Element& parent, const fs::path& dir, std::vector<std::string>& stack) {
    for (std::size_t i = 0; i < parent.children.size(); ++i) {
      Element& child = *parent.children[i];
      if (child.tag != "include") {
        expand(child, dir, stack);
        continue;
      }
      const std::string* file = child.get("file");
      if (!file) {
        error(&child, "expected a 'file' attribute in <include>");
        parent.children.erase(parent.children.begin() + static_cast<std::ptrdiff_t>(i--));
        continue;
      }
      fs::path p(*file);
      if (p.is_relative()) p = dir / p;
      std::error_code ec;
      const std::string resolved = fs::weakly_canonical(p, ec).string();
      const std::string path = ec ? p.string() : resolved;
      if (std::find(stack.begin(), stack.end(), path) != stack.end()) {
        std::string chain;
        for (const auto& s : stack) chain += fs::path(s).filename().string() + " -> ";
        error(&child, "cyclic include: " + chain + fs::path(path).filename().string() +
                          "; expected a file not already being included");
        parent.children.erase(parent.children.begin() + static_cast<std::ptrdiff_t>(i--));
        continue;
      }
      stack.push_back(path);
      std::unique_ptr<Element> sub = load(path, &child);
      if (sub) expand(*sub, fs::path(path).parent_path(), stack);
      stack.pop_back();
      std::vector<std::unique_ptr<Element>> inserted;
      if (sub) inserted = std::move(sub->children);
      parent.children.erase(parent.children.begin() + static_cast<std::ptrdiff_t>(i));
      const std::size_t n = inserted.size();
      parent.children.insert(parent.children.begin() + static_cast<std::ptrdiff_t>(i),
                             std::make_move_iterator(inserted.begin()),
                             std::make_move_iterator(inserted.end()));
      i = i + n - 1;  // continue after what was inserted (already expanded)
    }
  }

  void read_compiler() {
    for (Element* c : root_->children_named("compiler")) {
      if (const auto* v = c->get("angle")) {
        if (*v != "degree" && *v != "radian")
          error(c, "expected angle=\"degree\" or \"radian\" in <compiler>, got '" + *v + "'");
        degrees_ = *v == "degree";
      }
      if (const auto* v = c->get("eulerseq")) {
        bool good = v->size() == 3;
        for (char ch : *v) good = good && std::string("xyzXYZ").find(ch) != std::string::npos;
        if (!good) error(c, "expected eulerseq of three letters from xyzXYZ in <compiler>, got '" + *v + "'");
        eulerseq_ = *v;
      }
      if (const auto* v = c->get("meshdir")) meshdir_ = *v;
      if (const auto* v = c->get("texturedir")) texturedir_ = *v;
      if (const auto* v = c->get("assetdir")) assetdir_ = *v;
      if (const auto* v = c->get("autolimits")) autolimits_ = *v == "true";
    }
  }

  void check_sections() {
    for (const auto& c : root_->children) {
      if (kIgnoredSections.count(c->tag))
        warning(c.get(), "<" + c->tag + "> of an included model is left out: the scene's own settings apply");
      else if (!kKeptSections.count(c->tag))
        error(c.get(), "unknown MJCF section <" + c->tag +
                           ">; expected one of: compiler, default, asset, "
                           "worldbody, tendon, equality, actuator, sensor, contact");
    }
  }

  // ---- default classes ----

  void index_defaults() {
    Element* main = nullptr;
    for (auto it = root_->children.begin(); it != root_->children.end();) {
      if ((*it)->tag != "default") {
        ++it;
        continue;
      }
      if (!main) {
        main = it->get();
        ++it;
        continue;
      }
      // Several root <default> sections are one class "main": gather them into the first.
      for (auto& c : (*it)->children) main->children.push_back(std::move(c));
      it = root_->children.erase(it);
    }
    if (main) index_class(main, nullptr, "main");
  }

  void index_class(Element* d, Element* parent, const std::string& cls) {
    if (classes_.count(cls)) error(d, "default class '" + cls + "' is defined twice");
    classes_[cls] = d;
    parent_of_[d] = parent;
    for (auto& c : d->children) {
      if (c->tag != "default") continue;
      const std::string* n = c->get("class");
      if (!n) {
        error(c.get(), "expected a 'class' attribute in a nested <default>");
        continue;
      }
      index_class(c.get(), d, *n);
    }
  }

  // The value of `attr` for a `tag` element of class `cls`, looked up through the default classes.
  std::optional<std::string> from_defaults(const std::string& tag, const std::string& attr,
                                           const std::string& cls) const {
    auto it = classes_.find(cls);
    for (Element* d = it == classes_.end() ? nullptr : it->second; d; d = parent_of_.at(d))
      for (const auto& c : d->children)
        if (c->tag == tag)
          if (const auto* v = c->get(attr)) return *v;
    return std::nullopt;
  }

  std::string attr_of(const Element& e, const std::string& attr, const std::string& childclass,
                      const std::string& fallback) const {
    if (const auto* v = e.get(attr)) return *v;
    return from_defaults(e.tag, attr, e.get_or("class", childclass)).value_or(fallback);
  }

  // ---- angles ----

  void convert_orientation(Element& e) {
    const bool has_euler = e.get("euler"), has_quat = e.get("quat"), has_aa = e.get("axisangle");
    if (has_euler) {
      if (has_quat || has_aa) {
        error(&e, "expected one orientation (euler, quat or axisangle) in <" + e.tag + ">, got several");
        return;
      }
      bool good = false;
      const auto v = numbers_of(*e.get("euler"), good);
      if (!good || v.size() != 3) {
        error(&e, "expected three numbers in euler=\"" + *e.get("euler") + "\"");
        return;
      }
      double q[4] = {1, 0, 0, 0};
      for (int i = 0; i < 3; ++i) {
        const char axis = eulerseq_[static_cast<std::size_t>(i)];
        const double a =
            degrees_ ? v[static_cast<std::size_t>(i)] * kPi / 180 : v[static_cast<std::size_t>(i)];
        double t[4] = {std::cos(a / 2), 0, 0, 0};
        t[1 + (std::tolower(axis) - 'x')] = std::sin(a / 2);
        // Lower case: rotating axes (post-multiply); upper case: fixed axes (pre-multiply), as MuJoCo does.
        if (std::islower(axis))
          mul_quat(q, t, q);
        else
          mul_quat(t, q, q);
      }
      e.erase("euler");
      e.set("quat", join_numbers({q[0], q[1], q[2], q[3]}));
    }
    if (has_aa && degrees_) {
      bool good = false;
      auto v = numbers_of(*e.get("axisangle"), good);
      if (!good || v.size() != 4) {
        error(&e, "expected four numbers in axisangle=\"" + *e.get("axisangle") + "\"");
        return;
      }
      v[3] *= kPi / 180;
      e.set("axisangle", join_numbers(v));
    }
  }

  void convert_joint_angles(Element& e, const std::string& type) {
    if (!degrees_ || (type != "hinge" && type != "ball")) return;
    for (const char* attr : {"range", "ref", "springref"}) {
      if (!e.get(attr)) continue;
      bool good = false;
      auto v = numbers_of(*e.get(attr), good);
      if (!good) {
        error(&e, std::string("expected numbers in ") + attr + "=\"" + *e.get(attr) + "\"");
        continue;
      }
      for (double& x : v) x *= kPi / 180;
      e.set(attr, join_numbers(v));
    }
  }

  void walk_default(Element& d, const std::string& cls) {
    for (auto& c : d.children) {
      if (c->tag == "default") {
        walk_default(*c, c->get_or("class", ""));
        continue;
      }
      convert_orientation(*c);
      if (c->tag == "joint")
        convert_joint_angles(
            *c, c->get("type") ? *c->get("type") : from_defaults("joint", "type", cls).value_or("hinge"));
    }
  }

  void walk_body(Element& e, const std::string& childclass, const Element* body) {
    convert_orientation(e);
    std::string cc = childclass;
    if (e.tag == "body") cc = e.get_or("childclass", childclass);
    if (e.tag == "joint" || e.tag == "freejoint") {
      const std::string type = e.tag == "freejoint" ? "free" : attr_of(e, "type", childclass, "hinge");
      convert_joint_angles(e, type);
      if (type == "free") free_joints_.push_back({&e, body});
      if (const auto* n = e.get("name")) {
        joints_.push_back(*n);
        joint_types_.push_back(type);
      }
    }
    if (const auto* n = e.get("name")) {
      if (e.tag == "body") bodies_.push_back(*n);
      if (e.tag == "site") sites_.push_back(*n);
      if (e.tag == "geom") geoms_.push_back(*n);
      if (e.tag == "camera") cameras_.push_back(*n);
    }
    for (auto& c : e.children) walk_body(*c, cc, e.tag == "body" ? &e : body);
  }

  void convert_and_collect() {
    if (auto it = classes_.find("main"); it != classes_.end()) walk_default(*it->second, "main");
    for (Element* w : root_->children_named("worldbody"))
      for (auto& c : w->children) walk_body(*c, "main", nullptr);
    for (Element* a : root_->children_named("actuator"))
      for (auto& c : a->children)
        if (const auto* n = c->get("name")) actuators_.push_back(*n);
  }

  // ---- assets ----

  void resolve_asset_paths() {
    for (Element* a : root_->children_named("asset"))
      for (auto& c : a->children) {
        const bool mesh_like = c->tag == "mesh" || c->tag == "skin" || c->tag == "hfield";
        const std::string& sub = mesh_like ? (meshdir_.empty() ? assetdir_ : meshdir_)
                                           : (texturedir_.empty() ? assetdir_ : texturedir_);
        for (const char* attr :
             {"file", "fileright", "fileleft", "fileup", "filedown", "filefront", "fileback"}) {
          const std::string* f = c->get(attr);
          if (!f) continue;
          fs::path p(*f);
          if (p.is_relative()) p = top_dir_ / sub / p;
          std::error_code ec;
          if (!fs::is_regular_file(p, ec))
            error(c.get(), std::string("expected the ") + c->tag + " file '" + *f + "' at '" + p.string() +
                               "', there is none");
          // MuJoCo names an unnamed mesh after its file: give it that name now, so that it gets the prefix.
          if (mesh_like && !c->get("name") && std::string(attr) == "file") c->set("name", p.stem().string());
          c->set(attr, p.lexically_normal().string());
        }
      }
  }

  // ---- what the role needs ----

  void check_kind(IncludedModel& model) {
    std::vector<Element*> top;
    for (Element* w : root_->children_named("worldbody"))
      for (auto& c : w->children) top.push_back(c.get());
    if (kind_ == IncludeDef::Kind::kObject) {
      std::vector<Element*> bodies;
      for (Element* e : top)
        if (e->tag == "body")
          bodies.push_back(e);
        else if (e->tag != "light")
          error(e,
                "expected only one <body> (with a <freejoint>) in the worldbody of an object model, got <" +
                    e->tag + ">");
      if (bodies.size() != 1) {
        error(
            bodies.empty() ? root_.get() : bodies[1],
            "expected exactly one top-level <body> in an object model, got " + std::to_string(bodies.size()));
        return;
      }
      Element* root = bodies[0];
      bool has_free = false;
      for (const auto& [joint, body] : free_joints_) {
        if (body == root)
          has_free = true;
        else
          error(joint, "expected the free joint on the object's top-level body only");
      }
      if (!has_free) error(root, "expected a <freejoint/> in the top-level <body> of an object model");
      if (!root->get("name")) root->set("name", "root");
      model.root_body = *root->get("name");
      if (std::find(bodies_.begin(), bodies_.end(), model.root_body) == bodies_.end())
        bodies_.insert(bodies_.begin(), model.root_body);
    } else {
      for (const auto& [joint, body] : free_joints_)
        error(joint, std::string("expected no free joint in a ") +
                         (kind_ == IncludeDef::Kind::kRobot ? "robot" : "fixture") +
                         " model (a free body is an include with kind: object)");
    }
  }

  // ---- names ----

  void collect_names(const Element& e, std::set<std::string>& names) const {
    if (e.tag != "default")
      if (const auto* n = e.get("name")) names.insert(*n);
    for (const auto& c : e.children) collect_names(*c, names);
  }

  void rename(Element& e, const std::set<std::string>& names) {
    for (auto& a : e.attributes) {
      if (a.name == "name" && e.tag != "default") {
        a.value = prefix_ + a.value;
      } else if (a.name == "class" || a.name == "childclass") {
        if (classes_.count(a.value)) a.value = prefix_ + a.value;
      } else if (kReferenceAttributes.count(a.name) && names.count(a.value)) {
        a.value = prefix_ + a.value;
      }
    }
    for (auto& c : e.children) rename(*c, names);
  }

  void prefix_names() {
    std::set<std::string> names;
    for (const auto& c : root_->children) collect_names(*c, names);
    for (auto& c : root_->children)
      if (c->tag != "compiler") rename(*c, names);
  }

  // ---- collision roles ----

  void set_bits(Element& e, const std::string& childclass, const std::string& contype,
                const std::string& conaffinity) {
    std::string cc = e.tag == "body" ? e.get_or("childclass", childclass) : childclass;
    if (e.tag == "geom") {
      // Class names carry the prefix now: look them up without it.
      std::string cls = e.get_or("class", cc);
      if (cls.rfind(prefix_, 0) == 0) cls = cls.substr(prefix_.size());
      const std::string ct =
          e.get("contype") ? *e.get("contype") : from_defaults("geom", "contype", cls).value_or("1");
      const std::string ca = e.get("conaffinity") ? *e.get("conaffinity")
                                                  : from_defaults("geom", "conaffinity", cls).value_or("1");
      if (!(std::atoi(ct.c_str()) == 0 && std::atoi(ca.c_str()) == 0)) {
        e.set("contype", contype);
        e.set("conaffinity", conaffinity);
      }
    }
    for (auto& c : e.children) set_bits(*c, cc, contype, conaffinity);
  }

  void set_collision_bits() {
    const char* ct = kind_ == IncludeDef::Kind::kRobot ? "2" : kind_ == IncludeDef::Kind::kObject ? "4" : "8";
    const char* ca = kind_ == IncludeDef::Kind::kRobot    ? "13"
                     : kind_ == IncludeDef::Kind::kObject ? "15"
                                                          : "6";
    for (Element* w : root_->children_named("worldbody"))
      for (auto& c : w->children) set_bits(*c, "main", ct, ca);
  }

  // ---- output ----

  void emit(IncludedModel& model) {
    const std::string main_class = prefix_ + "main";
    for (const auto& section : root_->children) {
      const std::string& tag = section->tag;
      std::string* out = tag == "asset"       ? &model.asset
                         : tag == "worldbody" ? &model.worldbody
                         : tag == "tendon"    ? &model.tendon
                         : tag == "equality"  ? &model.equality
                         : tag == "actuator"  ? &model.actuator
                         : tag == "sensor"    ? &model.sensor
                         : tag == "contact"   ? &model.contact
                                              : nullptr;
      if (tag == "default") {
        Element d = std::move(*section);
        d.attributes.clear();
        d.set("class", main_class);
        xml::write(d, model.default_classes, 4);
        continue;
      }
      if (!out) continue;
      for (auto& c : section->children) {
        if (tag == "worldbody" && c->tag == "body" && !c->get("childclass")) c->set("childclass", main_class);
        if (tag != "worldbody" && tag != "asset" && kClassedTopLevel.count(c->tag) && !c->get("class"))
          c->set("class", main_class);
        // Fixture and robot models sit inside a wrapper body: one level deeper.
        xml::write(*c, *out, tag == "worldbody" && kind_ != IncludeDef::Kind::kObject ? 6 : 4);
      }
    }
    if (model.default_classes.empty())
      model.default_classes = "    <default class=\"" + main_class + "\"/>\n";
    model.bodies = bodies_;
    model.joints = joints_;
    model.joint_types = joint_types_;
    model.sites = sites_;
    model.geoms = geoms_;
    model.cameras = cameras_;
    model.actuators = actuators_;
  }

  std::string name_, prefix_;
  IncludeDef::Kind kind_;
  SourceLoc where_;
  std::vector<Diagnostic>& out_;
  bool ok_ = true;
  std::vector<std::string> files_;
  std::unique_ptr<Element> root_;
  fs::path top_dir_;
  bool degrees_ = true;  // MuJoCo's default
  std::string eulerseq_ = "xyz";
  std::string meshdir_, texturedir_, assetdir_;
  bool autolimits_ = false;
  std::map<std::string, Element*> classes_;
  std::map<const Element*, Element*> parent_of_;
  std::vector<std::pair<Element*, const Element*>> free_joints_;  // joint, its body
  std::vector<std::string> bodies_, joints_, joint_types_, sites_, geoms_, cameras_, actuators_;
};

}  // namespace

bool read_included_model(const std::string& path, const std::string& name, IncludeDef::Kind kind,
                         const SourceLoc& where, IncludedModel& model, std::vector<Diagnostic>& out) {
  return Rewriter(name, kind, where, out).run(path, model);
}

}  // namespace a2w::tasks
