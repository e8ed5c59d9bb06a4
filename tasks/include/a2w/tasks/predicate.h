#pragma once
// The success predicate language of task files. An expression is an operator applied to arguments:
//
//   near(a, b, dist)            the points of entities a and b are closer than dist (m)
//   inside(object, region)      the object's centre is inside a bin, region or drawer fixture
//   on_top(a, b)                object a rests on object b (centred over its top face, touching height)
//   lifted(object, height)      the object's lowest point is more than `height` above the table
//   joint_open(fixture, above)  the fixture's joint (drawer opening, m) is above the value
//   joint_closed(fixture, below)  ... below the value (a button pressed: its joint goes negative)
//   touching(a, b)              some geom of a touches some geom of b (gripper, table, objects, fixtures)
//   grasped(object)             both fingers touch the object
//   gripper_open                the fingers are more than 6 cm apart
//   all(p, q, ...)  any(p, q, ...)  not(p)   true  false
//   held(k, p)                  p has held for the last k consecutive control steps
//
// Entities are named as in compiled_task.h (objects, fixtures, tcp, gripper, table). Example:
//   held(3, all(inside(cube, bin), not(grasped(cube))))

#include <string>
#include <string_view>
#include <vector>

#include "a2w/tasks/compiled_task.h"
#include "a2w/tasks/task_def.h"

namespace a2w::tasks {

// Parses `text` (written at `where`) against the entities of `task`; throws InvalidArgument
// "file:line:col: <what was expected>, got <what came>".
PredicateExpr parse_predicate(std::string_view text, const SourceLoc& where, const TaskDef& task);
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
  };
  bool eval(int node, const SceneView& view, std::vector<int>* held) const;
  int build(const PredicateExpr& e, const TaskDef& task);
  std::vector<Node> nodes_;
  int root_ = -1;
  int held_slots_ = 0;
};

}  // namespace a2w::tasks
