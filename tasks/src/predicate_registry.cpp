#include "a2w/tasks/predicate_registry.h"

#include <map>
#include <mutex>
#include <regex>

#include "a2w/env/error.h"

namespace a2w::tasks {
namespace {

std::mutex g_mutex;
std::map<std::string, std::shared_ptr<const CustomPredicate>, std::less<>> g_predicates;

constexpr const char* kBuiltins[] = {"near",         "inside",   "on_top",  "lifted",       "joint_open",
                                     "joint_closed", "touching", "grasped", "gripper_open", "all",
                                     "any",          "not",      "held",    "true",         "false"};

}  // namespace

const char* arg_type_name(ArgType type) {
  switch (type) {
    case ArgType::kEntity:
      return "entity";
    case ArgType::kBody:
      return "body";
    case ArgType::kFixture:
      return "fixture";
    case ArgType::kJoint:
      return "joint";
    case ArgType::kNumber:
      return "number";
  }
  return "?";
}

std::string CustomPredicate::signature() const {
  std::string s = name + "(";
  for (std::size_t i = 0; i < args.size(); ++i) s += (i ? ", " : "") + args[i].name;
  return s + ")";
}

bool is_builtin_operator(std::string_view name) {
  for (const char* b : kBuiltins)
    if (name == b) return true;
  return false;
}

void register_predicate(CustomPredicate p) {
  static const std::regex re("[a-z][a-z0-9_]*");
  if (!std::regex_match(p.name, re))
    throw InvalidArgument("register_predicate: expected a name of [a-z][a-z0-9_]*, got '" + p.name + "'");
  if (is_builtin_operator(p.name))
    throw InvalidArgument("register_predicate: '" + p.name +
                          "' is a built-in operator of the task language; expected a new name");
  if (!p.evaluate)
    throw InvalidArgument("register_predicate: expected an evaluate function for '" + p.name + "', got none");
  for (const auto& a : p.args)
    if (a.name.empty())
      throw InvalidArgument("register_predicate: expected a name for every argument of '" + p.name + "'");
  std::lock_guard<std::mutex> lock(g_mutex);
  if (g_predicates.count(p.name))
    throw InvalidArgument("register_predicate: '" + p.name + "' is already registered (" +
                          g_predicates[p.name]->signature() + "); expected a new name");
  const std::string name = p.name;
  g_predicates[name] = std::make_shared<const CustomPredicate>(std::move(p));
}

bool unregister_predicate(std::string_view name) {
  std::lock_guard<std::mutex> lock(g_mutex);
  auto it = g_predicates.find(name);
  if (it == g_predicates.end()) return false;
  g_predicates.erase(it);
  return true;
}

std::shared_ptr<const CustomPredicate> find_predicate(std::string_view name) {
  std::lock_guard<std::mutex> lock(g_mutex);
  auto it = g_predicates.find(name);
  return it == g_predicates.end() ? nullptr : it->second;
}

std::vector<std::string> custom_predicate_names() {
  std::lock_guard<std::mutex> lock(g_mutex);
  std::vector<std::string> out;
  for (const auto& [k, v] : g_predicates) out.push_back(k);
  return out;
}

}  // namespace a2w::tasks
