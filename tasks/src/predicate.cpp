#include "a2w/tasks/predicate.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include "a2w/env/error.h"
#include "a2w/tasks/predicate_registry.h"

namespace a2w::tasks {
namespace {

using Op = PredicateExpr::Op;

// What an argument position takes.
enum class Arg { kEntity, kBody, kRegion, kJoint, kFixture, kNumber, kSteps, kPredicate };

struct Param {
  Arg type;
  const char* name;
};

struct OpInfo {
  const char* name;
  Op op;
  std::vector<Param> params;
  bool variadic = false;  // all / any: one or more predicates
};

const std::vector<OpInfo>& ops() {
  static const std::vector<OpInfo> kOps = {
      {"near", Op::kNear, {{Arg::kEntity, "a"}, {Arg::kEntity, "b"}, {Arg::kNumber, "distance"}}},
      {"inside", Op::kInside, {{Arg::kBody, "object"}, {Arg::kRegion, "region"}}},
      {"on_top", Op::kOnTop, {{Arg::kBody, "object_a"}, {Arg::kBody, "object_b"}}},
      {"lifted", Op::kLifted, {{Arg::kBody, "object"}, {Arg::kNumber, "height"}}},
      {"joint_open", Op::kJointOpen, {{Arg::kJoint, "joint"}, {Arg::kNumber, "above"}}},
      {"joint_closed", Op::kJointClosed, {{Arg::kJoint, "joint"}, {Arg::kNumber, "below"}}},
      {"touching", Op::kTouching, {{Arg::kEntity, "a"}, {Arg::kEntity, "b"}}},
      {"gripper_open", Op::kGripperOpen, {}},
      {"grasped", Op::kGrasped, {{Arg::kBody, "object"}}},
      {"all", Op::kAll, {{Arg::kPredicate, "p"}}, true},
      {"any", Op::kAny, {{Arg::kPredicate, "p"}}, true},
      {"not", Op::kNot, {{Arg::kPredicate, "p"}}},
      {"held", Op::kHeld, {{Arg::kSteps, "steps"}, {Arg::kPredicate, "p"}}},
      {"true", Op::kTrue, {}},
      {"false", Op::kFalse, {}},
  };
  return kOps;
}

const OpInfo* find_op(std::string_view name) {
  for (const auto& o : ops())
    if (name == o.name) return &o;
  return nullptr;
}

const OpInfo& info_of(Op op) {
  for (const auto& o : ops())
    if (o.op == op) return o;
  return ops()[0];
}

std::string signature(const std::string& name, const std::vector<Param>& params, bool variadic) {
  if (params.empty()) return name;
  std::string s = name + "(";
  for (std::size_t i = 0; i < params.size(); ++i) s += (i ? ", " : "") + std::string(params[i].name);
  if (variadic) s += ", q, ...";
  return s + ")";
}

Arg arg_of(ArgType t) {
  switch (t) {
    case ArgType::kEntity:
      return Arg::kEntity;
    case ArgType::kBody:
      return Arg::kBody;
    case ArgType::kFixture:
      return Arg::kFixture;
    case ArgType::kJoint:
      return Arg::kJoint;
    case ArgType::kNumber:
      return Arg::kNumber;
  }
  return Arg::kEntity;
}

// Built step by step: GCC 12 warns falsely (-Wrestrict) on "'" + std::string(1, c) + "'".
std::string quoted(char c) {
  std::string s = "'";
  s += c;
  s += '\'';
  return s;
}

std::string join(const std::vector<std::string>& v, std::size_t max = 40) {
  std::string s;
  for (std::size_t i = 0; i < v.size() && i < max; ++i) s += (s.empty() ? "" : ", ") + v[i];
  if (v.size() > max) s += ", ... (" + std::to_string(v.size() - max) + " more)";
  return s;
}

std::string operator_names() {
  std::vector<std::string> names;
  for (const auto& o : ops()) names.push_back(o.name);
  for (const auto& c : custom_predicate_names()) names.push_back(c);
  return join(names, 100);
}

// The text of a predicate as a tree, before its operators and arguments are checked.
struct Raw {
  std::size_t pos = 0;  // where it starts in the text
  bool number = false;
  double value = 0.0;
  std::string name;   // operator or entity name (or the number as written)
  bool call = false;  // name(...)
  std::vector<Raw> args;
};

class Parser {
 public:
  Parser(std::string_view text, const SourceLoc& where, const TaskDef& task, std::string context)
      : s_(text), where_(where), task_(task), context_(std::move(context)) {}

  PredicateExpr parse() {
    Raw r = raw();
    skip_ws();
    if (pos_ < s_.size())
      fail(pos_, "expected the end of the predicate, got '" + std::string(s_.substr(pos_)) + "'");
    PredicateExpr e = expr(r);
    if (!errors_.empty()) throw TaskFileError(errors_);
    // A reference into a broken entry: the predicate is incomplete, and the entry's problem says why.
    if (errors_quiet_) throw TaskFileError({});
    return e;
  }

 private:
  // Syntax errors end the parse; errors of meaning (arity, types, names) are collected.
  [[noreturn]] void fail(std::size_t at, const std::string& msg) const {
    throw TaskFileError({{Diagnostic::Severity::kError, loc_at(at), context_ + ": " + msg}});
  }
  void report(std::size_t at, const std::string& msg) {
    errors_.push_back({Diagnostic::Severity::kError, loc_at(at), context_ + ": " + msg});
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

  bool peek(char c) {
    skip_ws();
    return pos_ < s_.size() && s_[pos_] == c;
  }

  std::string got_here() const {
    return pos_ >= s_.size() ? std::string("the end of the text") : quoted(s_[pos_]);
  }

  static bool ident_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-' || c == '/';
  }

  Raw raw() {
    skip_ws();
    Raw r;
    r.pos = pos_;
    if (pos_ >= s_.size()) fail(pos_, "expected an operator, an entity or a number, got the end of the text");
    const char c = s_[pos_];
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '+' || c == '.') {
      const std::string rest(s_.substr(pos_));
      char* end = nullptr;
      const double v = std::strtod(rest.c_str(), &end);
      if (end == rest.c_str() || !std::isfinite(v))
        fail(pos_, "expected a number, got '" + rest.substr(0, 8) + "'");
      r.number = true;
      r.value = v;
      r.name = rest.substr(0, static_cast<std::size_t>(end - rest.c_str()));
      pos_ += static_cast<std::size_t>(end - rest.c_str());
      return r;
    }
    if (!std::isalpha(static_cast<unsigned char>(c)) && c != '_')
      fail(pos_, "expected an operator (" + operator_names() + "), an entity or a number, got " + got_here());
    while (pos_ < s_.size() && ident_char(s_[pos_])) ++pos_;
    r.name = std::string(s_.substr(r.pos, pos_ - r.pos));
    if (!peek('(')) return r;
    r.call = true;
    ++pos_;
    if (peek(')')) {
      ++pos_;
      return r;
    }
    while (true) {
      r.args.push_back(raw());
      if (peek(',')) {
        ++pos_;
        continue;
      }
      if (peek(')')) {
        ++pos_;
        return r;
      }
      fail(pos_, "expected ',' between arguments or ')' to close " + r.name + "(...), got " + got_here());
    }
  }

  static std::string describe(const Raw& r) {
    if (r.number) return "the number " + r.name;
    if (r.call) return "the predicate " + r.name + "(...)";
    return "'" + r.name + "'";
  }

  // Whether `name` refers into an entry of the task file that failed to read (already reported).
  bool broken(const std::string& name) const {
    const std::string head = name.substr(0, name.find('.'));
    return std::find(task_.broken_names.begin(), task_.broken_names.end(), head) != task_.broken_names.end();
  }

  // Checks one entity-like argument; returns its name ("" when it did not check out).
  std::string entity_arg(const Raw& r, Arg type, const std::string& role, const std::string& sig) {
    EntityRef probe;
    if (!r.number && !r.call && !parse_entity(task_, r.name, probe) && task_.fixture_index(r.name) < 0 &&
        broken(r.name)) {
      errors_quiet_ = true;
      return "";
    }
    if (r.number || r.call) {
      report(r.pos, "expected an entity for " + role + " in " + sig + ", got " + describe(r));
      return "";
    }
    EntityRef ref;
    if (type == Arg::kRegion || type == Arg::kFixture) {
      const int f = task_.fixture_index(r.name);
      if (f < 0) {
        std::vector<std::string> names;
        for (const auto& fx : task_.fixtures) names.push_back(fx.name);
        report(r.pos, "expected a fixture for " + role + " in " + sig + ", got '" + r.name +
                          "'; fixtures: " + (names.empty() ? "(none)" : join(names)));
        return "";
      }
      const FixtureKind k = task_.fixtures[static_cast<std::size_t>(f)].kind;
      if (type == Arg::kRegion && k != FixtureKind::kBin && k != FixtureKind::kRegion &&
          k != FixtureKind::kDrawer) {
        report(r.pos, "expected a bin, region or drawer in " + sig + ", got '" + r.name + "'");
        return "";
      }
      return r.name;
    }
    if (!parse_entity(task_, r.name, ref)) {
      report(r.pos, "unknown entity '" + r.name + "' in " + sig + "; known: " + join(entity_names(task_)));
      return "";
    }
    if (type == Arg::kBody && !is_body_like(task_, ref)) {
      report(r.pos, "expected an object (or a body, geom or site of an included model) for " + role + " in " +
                        sig + ", got '" + r.name + "'");
      return "";
    }
    if (type == Arg::kJoint && !is_joint_like(task_, ref)) {
      report(r.pos,
             "expected a fixture with a joint (drawer, button) or a hinge/slide joint of an included "
             "model for " +
                 role + " in " + sig + ", got '" + r.name + "'");
      return "";
    }
    return r.name;
  }

  double number_arg(const Raw& r, const std::string& role, const std::string& sig) {
    if (!r.number) {
      report(r.pos, "expected a number for " + role + " in " + sig + ", got " + describe(r));
      return 0.0;
    }
    return r.value;
  }

  PredicateExpr expr(const Raw& r) {
    PredicateExpr e;
    e.loc = loc_at(r.pos);
    if (r.number) {
      report(r.pos, "expected a predicate, got " + describe(r));
      return e;
    }
    const OpInfo* op = find_op(r.name);
    std::shared_ptr<const CustomPredicate> custom;
    if (!op) custom = find_predicate(r.name);
    if (!op && !custom) {
      EntityRef ref;
      if (!r.call && parse_entity(task_, r.name, ref))
        report(r.pos, "expected a predicate, got the entity '" + r.name + "' (an operator such as near(" +
                          r.name + ", ..., 0.05) takes entities)");
      else
        report(r.pos, "unknown operator '" + r.name + "'; expected one of: " + operator_names());
      return e;
    }
    std::vector<Param> params;
    bool variadic = false;
    if (op) {
      params = op->params;
      variadic = op->variadic;
      e.op = op->op;
    } else {
      for (const auto& a : custom->args) params.push_back({arg_of(a.type), a.name.c_str()});
      e.op = Op::kCustom;
      e.custom = custom->name;
    }
    const std::string sig = signature(r.name, params, variadic);
    if (params.empty()) {
      if (!r.args.empty())
        report(r.pos, r.name + " takes no arguments, got " + std::to_string(r.args.size()));
      return e;
    }
    if (!r.call) {
      report(r.pos, "expected arguments after '" + r.name + "': " + sig);
      return e;
    }
    const std::size_t n = r.args.size();
    if (variadic ? n < 1 : n != params.size()) {
      std::string msg = sig +
                        (variadic ? " takes one or more predicates"
                                  : " takes " + std::to_string(params.size()) +
                                        (params.size() == 1 ? " argument" : " arguments")) +
                        ", got " + std::to_string(n);
      if (!variadic && n < params.size()) {
        std::string missing;
        for (std::size_t i = n; i < params.size(); ++i)
          missing += (missing.empty() ? "" : ", ") + std::string(params[i].name);
        msg += (n > 0 ? ": expected ',' and then " : ": expected ") + missing;
      } else if (!variadic) {
        msg += ": expected ')' after '" + std::string(params.back().name) + "'";
      }
      report(r.pos, msg);
      return e;
    }
    for (std::size_t i = 0; i < n; ++i) {
      const Param& p = params[variadic ? 0 : i];
      const Raw& a = r.args[i];
      const std::string role = std::string("'") + p.name + "'";
      switch (p.type) {
        case Arg::kPredicate:
          e.children.push_back(expr(a));
          break;
        case Arg::kSteps: {
          const double k = number_arg(a, role, sig);
          if (a.number && (k < 1 || k != std::floor(k) || k > 1e6))
            report(a.pos, "expected a whole number of steps >= 1 in " + sig + ", got " + a.name);
          e.steps = static_cast<int>(k);
          break;
        }
        case Arg::kNumber: {
          const double v = number_arg(a, role, sig);
          if (e.op == Op::kCustom) {
            e.refs.emplace_back();
            e.values.push_back(v);
          } else {
            e.value = v;
          }
          break;
        }
        default:
          e.refs.push_back(entity_arg(a, p.type, role, sig));
          if (e.op == Op::kCustom) e.values.push_back(0.0);
      }
    }
    return e;
  }

  std::string_view s_;
  SourceLoc where_;
  const TaskDef& task_;
  std::string context_;
  std::size_t pos_ = 0;
  std::vector<Diagnostic> errors_;
  bool errors_quiet_ = false;
};

std::string num(double v) {
  std::ostringstream o;
  o << v;
  return o.str();
}

}  // namespace

PredicateExpr parse_predicate(std::string_view text, const SourceLoc& where, const TaskDef& task,
                              const std::string& context) {
  return Parser(text, where, task, context).parse();
}

std::string predicate_to_string(const PredicateExpr& e) {
  if (e.op == Op::kCustom) {
    std::string s = e.custom + "(";
    for (std::size_t i = 0; i < e.refs.size(); ++i)
      s += (i ? ", " : "") + (e.refs[i].empty() ? num(e.values[i]) : e.refs[i]);
    return s + ")";
  }
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
    case Op::kCustom:
      break;
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
  auto resolve = [&](const std::string& name, EntityRef& out) {
    if (!parse_entity(task, name, out))
      throw InvalidArgument(e.loc.str() + ": unknown entity '" + name + "'");
  };
  if (e.op == PredicateExpr::Op::kCustom) {
    n.custom = find_predicate(e.custom);
    if (!n.custom)
      throw InvalidArgument(
          e.loc.str() + ": custom predicate '" + e.custom +
          "' is not registered in this program (register_predicate() before making the task)");
    for (std::size_t i = 0; i < e.refs.size(); ++i) {
      PredicateArg a;
      if (!e.refs[i].empty()) resolve(e.refs[i], a.entity);
      a.number = i < e.values.size() ? e.values[i] : 0.0;
      n.args.push_back(a);
    }
  } else {
    if (e.refs.size() > 0) resolve(e.refs[0], n.a);
    if (e.refs.size() > 1) resolve(e.refs[1], n.b);
  }
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
      return v.inside(n.a, n.b.index);
    case Op::kOnTop:
      return v.on_top(n.a, n.b);
    case Op::kLifted:
      return v.bottom(n.a) > n.value;
    case Op::kJointOpen:
      return v.joint_value(n.a) > n.value;
    case Op::kJointClosed:
      return v.joint_value(n.a) < n.value;
    case Op::kTouching:
      return v.touching(n.a, n.b);
    case Op::kGripperOpen:
      return v.gripper_width() > v.task().robot.open_width;
    case Op::kGrasped:
      return v.grasped(n.a);
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
    case Op::kCustom:
      return n.custom->evaluate(v, n.args);
  }
  return false;
}

}  // namespace a2w::tasks
