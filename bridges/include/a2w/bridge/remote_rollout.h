#pragma once
// rollout() for policies that live elsewhere: a remote policy can fail for reasons that have nothing to do
// with the episode (its server was killed, the network went down). Then the episodes in flight fail with
// that reason, the episodes already finished are kept, and the rollout stops or goes on with the episodes
// not yet started, as the policy's OnPolicyFailure says (a remote policy reconnects on its next request, so
// "continue" picks up a restarted server).
//
//   auto policy = bridge::make_remote_policy("zmq://127.0.0.1:5555?on_failure=continue", envs);
//   auto episodes = bridge::rollout(envs, *policy, {.episodes = 50});
//
// A failed episode has success false, the steps it took, and final_info {"policy_error": "<reason>"}.

#include <string>
#include <vector>

#include "a2w/env/rollout.h"

namespace a2w::bridge {

enum class OnPolicyFailure { kStop, kContinue };
// "stop" or "continue"; throws InvalidArgument naming them.
OnPolicyFailure parse_on_policy_failure(std::string_view s);

// Implemented by policies whose failures are not the episode's fault (RemotePolicy, OpenPiPolicy).
class FallibleRemote {
 public:
  virtual ~FallibleRemote() = default;
  virtual OnPolicyFailure on_failure() const = 0;
};

// env::rollout() for ordinary policies. For a FallibleRemote policy, bridge::Unavailable (no answer, dead
// server, deadline) and RemoteError thrown by the policy fail the episodes in flight instead of the whole
// rollout; every such failure is also reported through `on_failure_message` when given (one line: which
// episodes, why). Failures of the envs (a RemoteEnv's server) propagate as they do from env::rollout.
std::vector<env::EpisodeMetrics> rollout(
    env::VectorEnv& envs, env::Policy& policy, const env::RolloutOptions& options,
    const std::function<void(const std::string&)>& on_failure_message = {});

}  // namespace a2w::bridge
