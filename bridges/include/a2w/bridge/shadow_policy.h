#pragma once
// ShadowPolicy: serves a policy that reads privileged simulator state from its VectorEnv (the scripted
// expert) to a client that steps its own copy of the env in another process.
//
// The server cannot see the client's simulator, so it keeps a shadow: a VectorEnv of the same task (state
// only, no cameras) with one env per client row. Each reset from the client carries its envs' episode seeds
// (RemotePolicy sends them when it knows its VectorEnv); the shadow resets to the same seeds, and before each
// act() it steps every running shadow env with the action it returned for that row last time. Physics is
// deterministic for a seed and an action sequence, so the shadow's state is the client's state and the
// wrapped policy acts on it.
//
// Assumptions, checked where they can be: the client's env is the same task with the same physics options
// (horizon, ...), and it executes exactly one action per act() per row (the wrapped policy returns [B, A],
// as the expert does; chunks [B, H, A] are refused).
//
//   auto shadow = std::make_unique<ShadowPolicy>("a2w/LiftCube-v0", env::Dict{},
//       [](env::VectorEnv& envs) { return std::make_unique<tasks::ExpertPolicy>(envs, 0.0, 0); });

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "a2w/env/policy.h"
#include "a2w/env/vector_env.h"

namespace a2w::bridge {

// The PolicyServer calls Policy::reset(mask, seeds) when a client's reset request carries its envs' episode
// seeds; this policy needs them.
class ShadowPolicy final : public env::Policy {
 public:
  using MakePolicy = std::function<std::unique_ptr<env::Policy>(env::VectorEnv& shadow)>;

  // `task` is a registry id; `env_options` go to make() (cameras are switched off: the shadow only needs
  // state).
  ShadowPolicy(std::string task, env::Dict env_options, MakePolicy make_policy);
  ~ShadowPolicy() override;

  std::string name() const override;
  // Steps the shadow with the previous actions, then asks the wrapped policy. The batch size must be the
  // one of the last reset.
  env::Array act(const env::Dict& obs) override;
  // Without seeds the shadow cannot follow the client: throws a2w::Error saying so.
  void reset(const std::vector<bool>& mask) override;
  void reset(const std::vector<bool>& mask, const std::vector<std::uint64_t>& seeds) override;

 private:
  void build(int n);

  std::string task_;
  env::Dict env_options_;
  MakePolicy make_policy_;
  std::unique_ptr<env::VectorEnv> shadow_;
  std::unique_ptr<env::Policy> policy_;
  env::Array last_;            // [B, A]: the actions returned by the last act()
  std::vector<bool> pending_;  // row i has an action to replay before the next act()
  std::vector<bool> running_;  // row i's shadow episode has not ended
};

}  // namespace a2w::bridge
