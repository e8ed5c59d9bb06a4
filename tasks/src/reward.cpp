#include "a2w/tasks/reward.h"

#include <algorithm>
#include <cmath>

#include "a2w/env/error.h"

namespace a2w::tasks {
namespace {

double distance(const Vec3& a, const Vec3& b) {
  return std::sqrt((a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]) +
                   (a[2] - b[2]) * (a[2] - b[2]));
}

}  // namespace

Reward::Reward(const std::vector<RewardTermDef>& terms, const TaskDef& task) {
  for (const auto& d : terms) {
    Term t{d, {}, {}};
    auto resolve = [&](const std::string& name, EntityRef& out) {
      if (!name.empty() && !parse_entity(task, name, out))
        throw InvalidArgument(d.loc.str() + ": reward: unknown entity '" + name + "'");
    };
    resolve(d.a, t.a);
    resolve(d.b, t.b);
    terms_.push_back(t);
  }
}

double Reward::evaluate(const SceneView& v, bool success) const {
  double r = 0.0;
  for (const auto& t : terms_) {
    double x = 0.0;
    switch (t.def.kind) {
      case RewardTermDef::Kind::kReach:
        x = 1.0 - std::tanh(10.0 * distance(v.tcp(), v.point(t.a)));
        break;
      case RewardTermDef::Kind::kDistance:
        x = 1.0 - std::tanh(10.0 * distance(v.point(t.a), v.point(t.b)));
        break;
      case RewardTermDef::Kind::kLift:
        x = std::clamp(v.bottom(t.a) / t.def.height, 0.0, 1.0);
        break;
      case RewardTermDef::Kind::kJoint:
        x = std::clamp((v.joint_value(t.a) - t.def.from) / (t.def.to - t.def.from), 0.0, 1.0);
        break;
      case RewardTermDef::Kind::kGrasp:
        x = v.grasped(t.a) ? 1.0 : 0.0;
        break;
      case RewardTermDef::Kind::kSuccess:
        x = success ? 1.0 : 0.0;
        break;
    }
    r += t.def.weight * x;
  }
  return r;
}

}  // namespace a2w::tasks
