#pragma once
// Dense reward: the weighted sum of a task's reward terms (task_def.h, RewardTermDef), evaluated once per
// control step on the simulator's state. Terms are bounded in [0, 1] before weighting, so a task's
// maximum reward per step is the sum of its positive weights.

#include <vector>

#include "a2w/tasks/compiled_task.h"
#include "a2w/tasks/task_def.h"

namespace a2w::tasks {

class Reward {
 public:
  Reward() = default;
  Reward(const std::vector<RewardTermDef>& terms, const TaskDef& task);
  double evaluate(const SceneView& view, bool success) const;

 private:
  struct Term {
    RewardTermDef def;
    EntityRef a, b;
  };
  std::vector<Term> terms_;
};

}  // namespace a2w::tasks
