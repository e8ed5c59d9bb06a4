#pragma once
// The success predicate language of task files. An expression is an operator applied to arguments:
//
//   near(a, b, distance)        the points of entities a and b are closer than `distance` (m)
//   inside(object, region)      the object's point is inside a bin, region or drawer fixture
//   on_top(a, b)                a rests on b: on b's top face (objects: centred over it in b's frame, at
//                               touching height within 12 mm; included bodies: a's lowest point within
//                               12 mm of b's highest, a's point over the box around b)
//   lifted(object, height)      the object's lowest point is more than `height` (m) above the table
//   joint_open(joint, above)    the joint (a drawer's opening in m, a button's travel, or an included hinge
//                               (rad) or slide (m) joint) is above the value
//   joint_closed(joint, below)  ... below the value (a button pressed: its joint goes negative)
//   touching(a, b)              some geom of a touches some geom of b (gripper, table, objects, fixtures,
//                               included models and their bodies)
//   grasped(object)             both fingers touch the object
//   gripper_open                the fingers are open wider than 3/4 of their full opening (6 of 8 cm)
//   all(p, q, ...)  any(p, q, ...)  not(p)   true  false
//   held(k, p)                  p has held for the last k consecutive control steps
//   <custom>(...)               a predicate registered in C++ (predicate_registry.h)
//
// `object` arguments take anything that moves as a rigid body: objects, included models, and bodies,
// geoms or sites of included models. Entities are named as in compiled_task.h (objects, fixtures, tcp,
// gripper, table, includes and their elements). Example:
//   held(3, all(inside(cube, bin), not(grasped(cube))))
//
// Every problem is reported with its line and column: a syntax error ends the reading of one predicate;
// problems of meaning (unknown operator or entity, wrong number of arguments, an argument of the wrong
// kind) are all collected.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "a2w/tasks/compiled_task.h"
#include "a2w/tasks/predicate_registry.h"
#include "a2w/tasks/task_def.h"

namespace a2w::tasks {

// Parses `text` (written at `where`) against the entities of `task`; throws TaskFileError with every
// problem as "file:line:col: <context>: <what was expected>, got <what came>".
PredicateExpr parse_predicate(std::string_view text, const SourceLoc& where, const TaskDef& task,
                              const std::string& context = "success predicate");
// Canonical text of an expression (round-trips through parse_predicate).
std::string predicate_to_string(const PredicateExpr& e);

// A predicate resolved against a compiled task, evaluated once per control step. held() nodes keep their
// counters in a caller-owned vector (one per env), sized by held_slots().
class Predicate {
 public:
  Predicate() = default;
  Predicate(const PredicateExpr& expr, const TaskDef& task);
  // Advances the held() counters: call exactly once per control step (and after reset, with counters
  // zeroed, for the initial state).
  bool evaluate(const SceneView& view, std::vector<int>& held_counters) const;
  // Evaluates without touching counters: held(k, p) reads as p (for hand-built states and the expert).
  bool evaluate_now(const SceneView& view) const;
  int held_slots() const { return held_slots_; }

 private:
  struct Node {
    PredicateExpr::Op op;
    EntityRef a, b;
    double value = 0.0;
    int steps = 0;
    int slot = -1;  // held() counter index
    std::vector<int> children;
    std::shared_ptr<const CustomPredicate> custom;
    std::vector<PredicateArg> args;  // custom predicates' arguments
  };
  bool eval(int node, const SceneView& view, std::vector<int>* held) const;
  int build(const PredicateExpr& e, const TaskDef& task);
  std::vector<Node> nodes_;
  int root_ = -1;
  int held_slots_ = 0;
};

}  // namespace a2w::tasks
