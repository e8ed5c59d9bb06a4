#include "a2w/tasks/predicate.h"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include "a2w/env/error.h"

namespace a2w::tasks {
namespace {

using Op = PredicateExpr::Op;

struct OpInfo {
  const char* name;
  Op op;
  const char* signature;  // shown in errors
};

constexpr OpInfo kOps[] = {
    {"near", Op::kNear, "near(a, b, distance)"},
    {"inside", Op::kInside, "inside(object, bin_or_region)"},
    {"on_top", Op::kOnTop, "on_top(object_a, object_b)"},
    {"lifted", Op::kLifted, "lifted(object, height)"},
    {"joint_open", Op::kJointOpen, "joint_open(fixture, above)"},
    {"joint_closed", Op::kJointClosed, "joint_closed(fixture, below)"},
    {"touching", Op::kTouching, "touching(a, b)"},
    {"gripper_open", Op::kGripperOpen, "gripper_open"},
    {"grasped", Op::kGrasped, "grasped(object)"},
    {"all", Op::kAll, "all(p, q, ...)"},
    {"any", Op::kAny, "any(p, q, ...)"},
    {"not", Op::kNot, "not(p)"},
    {"held", Op::kHeld, "held(steps, p)"},
    {"true", Op::kTrue, "true"},
    {"false", Op::kFalse, "false"},
};

const OpInfo* find_op(std::string_view name) {
  for (const auto& o : kOps)
    if (name == o.name) return &o;
  return nullptr;
}

const OpInfo& info_of(Op op) {
  for (const auto& o : kOps)
    if (o.op == op) return o;
  return kOps[0];
}

// Built step by step: GCC 12 warns falsely (-Wrestrict) on "'" + std::string(1, c) + "'".
std::string quoted(char c) {
  std::string s = "'";
  s += c;
  s += '\'';
  return s;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

class Parser {
 public:
  Parser(std::string_view text, const SourceLoc& where, const TaskDef& task)
      : s_(text), where_(where), task_(task) {}

  PredicateExpr parse() {
    PredicateExpr e = expr();
    skip_ws();
    if (pos_ < s_.size())
      fail(pos_, "expected the end of the predicate, got '" + std::string(s_.substr(pos_)) + "'");
    return e;
  }

 private:
  [[noreturn]] void fail(std::size_t at, const std::string& msg) const {
    throw InvalidArgument(loc_at(at).str() + ": success predicate: " + msg);
  }

  SourceLoc loc_at(std::size_t at) const {
    SourceLoc l = where_;
    int line_add = 0;
    std::size_t line_start = 0;
    for (std::size_t i = 0; i < at && i < s_.size(); ++i)
      if (s_[i] == '\n') ++line_add, line_start = i + 1;
    l.line += line_add;
    l.column = (line_add ? 1 : l.column) + static_cast<int>(at - line_start);
    return l;
  }

  void skip_ws() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }

  std::string ident() {
    skip_ws();
    const std::size_t b = pos_;
    while (pos_ < s_.size() &&
           (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_' || s_[pos_] == '.'))
      ++pos_;
    return std::string(s_.substr(b, pos_ - b));
  }

  bool peek(char c) {
    skip_ws();
    return pos_ < s_.size() && s_[pos_] == c;
  }

  void expect(char c, const std::string& context) {
    skip_ws();
    if (pos_ >= s_.size() || s_[pos_] != c)
      fail(pos_, std::string("expected '") + c + "' " + context + ", got " +
                     (pos_ >= s_.size() ? std::string("the end of the text") : quoted(s_[pos_])));
    ++pos_;
  }

  double number(const std::string& context) {
    skip_ws();
    const std::size_t b = pos_;
    const std::string rest(s_.substr(pos_));
    char* end = nullptr;
    const double v = std::strtod(rest.c_str(), &end);
    if (end == rest.c_str() || !std::isfinite(v)) {
      std::string got = ident();
      fail(b, "expected a number for " + context + ", got '" + (got.empty() ? rest.substr(0, 1) : got) + "'");
    }
    pos_ += static_cast<std::size_t>(end - rest.c_str());
    return v;
  }

  std::string entity(const OpInfo& op, const char* role, bool object_only) {
    skip_ws();
    const std::size_t b = pos_;
    std::string name = ident();
    if (name.empty()) fail(b, std::string("expected ") + role + " in " + op.signature + ", got nothing");
    EntityRef ref;
    if (!parse_entity(task_, name, ref))
      fail(b, "unknown entity '" + name + "' in " + op.signature + "; known: " + join(entity_names(task_)));
    if (object_only && ref.kind != EntityRef::Kind::kObject)
      fail(b, std::string("expected an object for ") + role + " in " + op.signature + ", got '" + name + "'");
    return name;
  }

  std::string fixture(const OpInfo& op, const char* role, bool need_joint, bool need_region) {
    skip_ws();
    const std::size_t b = pos_;
    std::string name = ident();
    const int f = task_.fixture_index(name);
    if (f < 0) {
      std::vector<std::string> names;
      for (const auto& fx : task_.fixtures) names.push_back(fx.name);
      fail(b, std::string("expected a fixture for ") + role + " in " + op.signature + ", got '" + name +
                  "'; fixtures: " + (names.empty() ? "(none)" : join(names)));
    }
    const auto& fx = task_.fixtures[static_cast<std::size_t>(f)];
    if (need_joint && !fx.has_joint())
      fail(b, "expected a fixture with a joint (drawer, button) in " + std::string(op.signature) + ", got '" +
                  name + "'");
    if (need_region &&
        !(fx.kind == FixtureKind::kBin || fx.kind == FixtureKind::kRegion || fx.kind == FixtureKind::kDrawer))
      fail(b, "expected a bin, region or drawer in " + std::string(op.signature) + ", got '" + name + "'");
    return name;
  }

  PredicateExpr expr() {
    skip_ws();
    const std::size_t b = pos_;
    const std::string name = ident();
    if (name.empty())
      fail(b,
           "expected an operator (near, inside, on_top, lifted, joint_open, joint_closed, touching, "
           "grasped, gripper_open, all, any, not, held, true, false), got " +
               (pos_ >= s_.size() ? std::string("the end of the text") : quoted(s_[pos_])));
    const OpInfo* op = find_op(name);
    if (!op) {
      std::vector<std::string> names;
      for (const auto& o : kOps) names.push_back(o.name);
      fail(b, "unknown operator '" + name + "'; expected one of: " + join(names));
    }
    PredicateExpr e;
    e.op = op->op;
    e.loc = loc_at(b);
    const bool no_args = e.op == Op::kGripperOpen || e.op == Op::kTrue || e.op == Op::kFalse;
    if (no_args) {
      if (peek('(')) {  // allow gripper_open()
        ++pos_;
        expect(')', std::string("after ") + op->name + "(");
      }
      return e;
    }
    expect('(', std::string("after '") + op->name + "' (" + op->signature + ")");
    switch (e.op) {
      case Op::kNear:
        e.refs.push_back(entity(*op, "a", false));
        expect(',', "between arguments");
        e.refs.push_back(entity(*op, "b", false));
        expect(',', "between arguments");
        e.value = number("the distance");
        break;
      case Op::kInside:
        e.refs.push_back(entity(*op, "the object", true));
        expect(',', "between arguments");
        e.refs.push_back(fixture(*op, "the region", false, true));
        break;
      case Op::kOnTop:
        e.refs.push_back(entity(*op, "object_a", true));
        expect(',', "between arguments");
        e.refs.push_back(entity(*op, "object_b", true));
        break;
      case Op::kLifted:
        e.refs.push_back(entity(*op, "the object", true));
        expect(',', "between arguments");
        e.value = number("the height");
        break;
      case Op::kJointOpen:
      case Op::kJointClosed:
        e.refs.push_back(fixture(*op, "the joint", true, false));
        expect(',', "between arguments");
        e.value = number("the threshold");
        break;
      case Op::kTouching:
        e.refs.push_back(entity(*op, "a", false));
        expect(',', "between arguments");
        e.refs.push_back(entity(*op, "b", false));
        break;
      case Op::kGrasped:
        e.refs.push_back(entity(*op, "the object", true));
        break;
      case Op::kAll:
      case Op::kAny:
        e.children.push_back(expr());
        while (peek(',')) {
          ++pos_;
          e.children.push_back(expr());
        }
        break;
      case Op::kNot:
        e.children.push_back(expr());
        break;
      case Op::kHeld: {
        const std::size_t nb = pos_;
        const double k = number("the number of steps");
        if (k < 1 || k != std::floor(k) || k > 1e6)
          fail(nb, "expected a whole number of steps >= 1 in held(steps, p), got " + std::to_string(k));
        e.steps = static_cast<int>(k);
        expect(',', "between arguments");
        e.children.push_back(expr());
        break;
      }
      default:
        break;
    }
    expect(')', std::string("to close ") + op->name + "(...) (" + op->signature + ")");
    return e;
  }

  std::string_view s_;
  SourceLoc where_;
  const TaskDef& task_;
  std::size_t pos_ = 0;
};

std::string num(double v) {
  std::ostringstream o;
  o << v;
  return o.str();
}

}  // namespace

PredicateExpr parse_predicate(std::string_view text, const SourceLoc& where, const TaskDef& task) {
  return Parser(text, where, task).parse();
}

std::string predicate_to_string(const PredicateExpr& e) {
  const OpInfo& op = info_of(e.op);
  switch (e.op) {
    case Op::kNear:
      return std::string(op.name) + "(" + e.refs[0] + ", " + e.refs[1] + ", " + num(e.value) + ")";
    case Op::kLifted:
    case Op::kJointOpen:
    case Op::kJointClosed:
      return std::string(op.name) + "(" + e.refs[0] + ", " + num(e.value) + ")";
    case Op::kInside:
    case Op::kOnTop:
    case Op::kTouching:
      return std::string(op.name) + "(" + e.refs[0] + ", " + e.refs[1] + ")";
    case Op::kGrasped:
      return std::string(op.name) + "(" + e.refs[0] + ")";
    case Op::kGripperOpen:
    case Op::kTrue:
    case Op::kFalse:
      return op.name;
    case Op::kAll:
    case Op::kAny:
    case Op::kNot: {
      std::string s = std::string(op.name) + "(";
      for (std::size_t i = 0; i < e.children.size(); ++i)
        s += (i ? ", " : "") + predicate_to_string(e.children[i]);
      return s + ")";
    }
    case Op::kHeld:
      return "held(" + std::to_string(e.steps) + ", " + predicate_to_string(e.children[0]) + ")";
  }
  return op.name;
}

Predicate::Predicate(const PredicateExpr& expr, const TaskDef& task) {
  root_ = build(expr, task);
}

int Predicate::build(const PredicateExpr& e, const TaskDef& task) {
  Node n;
  n.op = e.op;
  n.value = e.value;
  n.steps = e.steps;
  auto resolve = [&](std::size_t i, EntityRef& out) {
    if (i < e.refs.size() && !parse_entity(task, e.refs[i], out))
      throw InvalidArgument(e.loc.str() + ": unknown entity '" + e.refs[i] + "'");
  };
  resolve(0, n.a);
  resolve(1, n.b);
  // inside/joint_* take fixtures by name: the fixture entity resolves to the fixture index already.
  if (e.op == Op::kHeld) n.slot = held_slots_++;
  for (const auto& c : e.children) n.children.push_back(build(c, task));
  nodes_.push_back(std::move(n));
  return static_cast<int>(nodes_.size()) - 1;
}

bool Predicate::evaluate(const SceneView& view, std::vector<int>& held) const {
  if (root_ < 0) return false;
  if (static_cast<int>(held.size()) < held_slots_) held.resize(static_cast<std::size_t>(held_slots_), 0);
  return eval(root_, view, &held);
}

bool Predicate::evaluate_now(const SceneView& view) const {
  return root_ >= 0 && eval(root_, view, nullptr);
}

bool Predicate::eval(int index, const SceneView& v, std::vector<int>* held) const {
  const Node& n = nodes_[static_cast<std::size_t>(index)];
  switch (n.op) {
    case Op::kNear: {
      const Vec3 a = v.point(n.a), b = v.point(n.b);
      const double dx = a[0] - b[0], dy = a[1] - b[1], dz = a[2] - b[2];
      return dx * dx + dy * dy + dz * dz < n.value * n.value;
    }
    case Op::kInside:
      return v.inside(n.a.index, n.b.index);
    case Op::kOnTop:
      return v.on_top(n.a.index, n.b.index);
    case Op::kLifted:
      return v.object_bottom(n.a.index) > n.value;
    case Op::kJointOpen:
      return v.joint(n.a.index) > n.value;
    case Op::kJointClosed:
      return v.joint(n.a.index) < n.value;
    case Op::kTouching:
      return v.touching(n.a, n.b);
    case Op::kGripperOpen:
      return v.gripper_width() > 0.06;
    case Op::kGrasped:
      return v.grasped(n.a.index);
    case Op::kAll: {
      // Evaluate every child (no short cut) so nested held() counters advance every step.
      bool all = true;
      for (int c : n.children) all = eval(c, v, held) && all;
      return all;
    }
    case Op::kAny: {
      bool any = false;
      for (int c : n.children) any = eval(c, v, held) || any;
      return any;
    }
    case Op::kNot:
      return !eval(n.children[0], v, held);
    case Op::kHeld: {
      const bool now = eval(n.children[0], v, held);
      if (!held) return now;
      int& count = (*held)[static_cast<std::size_t>(n.slot)];
      count = now ? count + 1 : 0;
      return count >= n.steps;
    }
    case Op::kTrue:
      return true;
    case Op::kFalse:
      return false;
  }
  return false;
}

}  // namespace a2w::tasks
