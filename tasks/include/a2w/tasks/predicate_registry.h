#pragma once
// Custom predicates: the extension point for a condition the task language lacks. A program registers a
// predicate by name, with its arguments' names and types and a function that evaluates it on one state;
// task files then use it like a built-in operator, and every check applies (arity, argument types, unknown
// entities, with file:line:column).
//
//   #include "a2w/tasks/predicate_registry.h"
//
//   a2w::tasks::register_predicate({
//       .name = "upright",
//       .args = {{"object", a2w::tasks::ArgType::kBody}, {"max_tilt", a2w::tasks::ArgType::kNumber}},
//       .doc = "the object's z axis is within max_tilt (rad) of world z",
//       .evaluate = [](const a2w::tasks::SceneView& view, std::span<const a2w::tasks::PredicateArg> args) {
//         const auto R = view.frame(args[0].entity);   // row-major 3x3, body axes in world coordinates
//         return R[8] >= std::cos(args[1].number);    // R[8]: world z of the body's z axis
//       }});
//
//   # a task file of that program:
//   success: "held(5, all(on_top(cup, plate), upright(cup, 0.2)))"
//
// Register before the task files that use it are read (before a2w::make of their ids): the reader checks
// operators against the registry. A predicate is known in the process that registered it; the `a2w` tool
// does not know yours, so validate such task files from your program (validate.h). Evaluate functions run
// once per control step per env, from the env's worker thread: they must be thread safe and must not keep
// state between calls (use held(k, p) for "for k steps").

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "a2w/tasks/compiled_task.h"

namespace a2w::tasks {

enum class ArgType {
  kEntity,   // anything with a point: objects, fixtures (and .base/.handle), tcp, gripper, table, includes,
             // include elements (sites, bodies, geoms)
  kBody,     // something that moves as a rigid body: an object, an included object or model, an element
             // that is a body, geom or site of an included model
  kFixture,  // a fixture of the task file
  kJoint,    // a fixture with a joint (drawer, button) or a hinge/slide joint of an included model
  kNumber,   // a number (units as the predicate documents them)
};

// "entity", "body", "fixture", "joint", "number".
const char* arg_type_name(ArgType type);

// One argument as the evaluate function receives it: `entity` for entity types, `number` for kNumber.
struct PredicateArg {
  EntityRef entity;
  double number = 0.0;
};

struct PredicateParam {
  std::string name;  // shown in signatures and messages: upright(object, max_tilt)
  ArgType type = ArgType::kEntity;
};

struct CustomPredicate {
  std::string name;  // [a-z][a-z0-9_]*, not a built-in operator
  std::vector<PredicateParam> args;
  std::string doc;  // one line, shown by `a2w tasks validate --predicates`
  std::function<bool(const SceneView& view, std::span<const PredicateArg> args)> evaluate;

  // "upright(object, max_tilt)".
  std::string signature() const;
};

// Adds a predicate. Throws InvalidArgument for a bad name, a built-in or already registered name, or a
// missing evaluate function. Thread safe.
void register_predicate(CustomPredicate predicate);
// Removes one (tasks already built keep theirs); false when there was none.
bool unregister_predicate(std::string_view name);
// The registered predicate called `name`, or null.
std::shared_ptr<const CustomPredicate> find_predicate(std::string_view name);
// Registered names, sorted.
std::vector<std::string> custom_predicate_names();
// True for the operators of the language itself (near, inside, ..., held, true, false).
bool is_builtin_operator(std::string_view name);

}  // namespace a2w::tasks
