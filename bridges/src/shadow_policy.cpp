#include "a2w/bridge/shadow_policy.h"

#include "a2w/env/registry.h"
#include "batching.h"

namespace a2w::bridge {

ShadowPolicy::ShadowPolicy(std::string task, env::Dict env_options, MakePolicy make_policy)
    : task_(std::move(task)), env_options_(std::move(env_options)), make_policy_(std::move(make_policy)) {
  if (!make_policy_) throw InvalidArgument("ShadowPolicy: expected a policy maker, got an empty function");
  (void)a2w::registration(task_);  // an unknown id fails now, with close matches
  env_options_["render"] = false;
}

ShadowPolicy::~ShadowPolicy() {
  policy_.reset();
  if (shadow_) shadow_->close();
}

std::string ShadowPolicy::name() const {
  return policy_ ? policy_->name() + " (shadow)" : "shadow";
}

void ShadowPolicy::build(int n) {
  policy_.reset();
  if (shadow_) shadow_->close();
  shadow_ =
      std::make_unique<env::ThreadedVectorEnv>([&](int) { return a2w::make(task_, env_options_); },
                                               env::VectorEnvOptions{n, 1, env::AutoresetMode::kDisabled});
  policy_ = make_policy_(*shadow_);
  last_ = env::Array();
  pending_.assign(static_cast<std::size_t>(n), false);
  running_.assign(static_cast<std::size_t>(n), false);
}

void ShadowPolicy::reset(const std::vector<bool>&) {
  throw Error(
      "ShadowPolicy: a reset without episode seeds; the shadow of a served privileged policy needs the "
      "client's seeds (RemotePolicy sends them when it is given its VectorEnv)");
}

void ShadowPolicy::reset(const std::vector<bool>& mask, const std::vector<std::uint64_t>& seeds) {
  if (mask.size() != seeds.size() || mask.empty())
    throw InvalidArgument("ShadowPolicy: expected as many seeds as mask entries (at least one), got " +
                          std::to_string(seeds.size()) + " and " + std::to_string(mask.size()));
  const int n = static_cast<int>(mask.size());
  if (!shadow_ || shadow_->num_envs() != n) build(n);
  shadow_->reset(mask, seeds);
  for (std::size_t i = 0; i < mask.size(); ++i)
    if (mask[i]) {
      pending_[i] = false;
      running_[i] = true;
    }
  policy_->reset(mask);
}

env::Array ShadowPolicy::act(const env::Dict& obs) {
  if (!shadow_)
    throw Error("ShadowPolicy: act() before any reset; the shadow needs the client's episode seeds first");
  const int n = shadow_->num_envs();
  const std::int64_t rows = detail::batch_rows(obs);
  if (rows >= 0 && rows != n)
    throw InvalidArgument("ShadowPolicy: expected a batch of " + std::to_string(n) +
                          " rows (the size of the last reset), got " + std::to_string(rows));
  std::vector<bool> active(static_cast<std::size_t>(n));
  bool any = false;
  for (std::size_t i = 0; i < active.size(); ++i) {
    active[i] = pending_[i] && running_[i];
    any = any || active[i];
  }
  if (any) {
    const auto& r = shadow_->step(last_, active);
    for (std::size_t i = 0; i < active.size(); ++i)
      if (active[i] && (r.terminated.data<bool>()[i] || r.truncated.data<bool>()[i])) running_[i] = false;
  }
  env::Array out = policy_->act(obs);
  if (!out.valid() || out.ndim() != 2 || out.dim(0) != n)
    throw InvalidArgument("ShadowPolicy: expected the wrapped policy to return one action per row [" +
                          std::to_string(n) + ", A], got " + env::describe(out));
  last_ = out.clone();
  pending_.assign(static_cast<std::size_t>(n), true);
  return out;
}

}  // namespace a2w::bridge
