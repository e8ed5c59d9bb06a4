// Both sides of the bridge in one program, on loopback: an EnvServer serving a physics task, a PolicyServer
// serving a policy, and a rollout in which neither the envs nor the policy live in the rolling process's
// objects: a ThreadedVectorEnv of RemoteEnvs (one server session each) driven by a RemotePolicy.
//
//   build/examples/bridges/remote_rollout [TASK]        (default a2w/LiftCube-v0)
//
// Across machines the same code takes the servers' endpoints instead (`a2w serve env`, `a2w serve policy`).

#include "a2w/bridge/remote_rollout.h"

#include <iostream>

#include "a2w/bridge/env_server.h"
#include "a2w/bridge/policy_server.h"
#include "a2w/bridge/remote_env.h"
#include "a2w/bridge/remote_policy.h"
#include "a2w/env/registry.h"
#include "a2w/tasks/tasks.h"

int main(int argc, char** argv) {
  using namespace a2w;
  const std::string task = argc > 1 ? argv[1] : "a2w/LiftCube-v0";
  try {
    tasks::register_tasks();
    // The env side: every client session gets its own state-only task env.
    bridge::EnvServer envs_server(bridge::EnvFactory::registry(task, {{"render", false}}),
                                  {.bind = "tcp://127.0.0.1:0"});
    envs_server.start();
    // The policy side: uniform random actions in the task's action space, shared by every client.
    const auto spec = a2w::make(task, {{"render", false}})->spec();
    bridge::PolicyServer policy_server(std::make_shared<env::RandomPolicy>(spec.action_space, 0),
                                       {.bind = "tcp://127.0.0.1:0"});
    policy_server.start();
    std::cout << "env server " << envs_server.endpoint() << ", policy server " << policy_server.endpoint()
              << "\n";

    // The rolling side knows only the endpoints.
    env::ThreadedVectorEnv envs(
        [&](int) {
          return std::make_unique<bridge::RemoteEnv>(
              bridge::RemoteEnvOptions{.endpoint = envs_server.endpoint()});
        },
        {2, 1, env::AutoresetMode::kDisabled});
    bridge::RemotePolicy policy({.endpoint = policy_server.endpoint(), .envs = &envs});
    const auto episodes = bridge::rollout(envs, policy, {.episodes = 4}, [](const std::string& m) {
      std::cerr << "remote_rollout: " << m << "\n";
    });
    const auto summary = env::summarize(episodes);
    std::cout << task << ": " << summary.episodes << " episodes, mean length " << summary.mean_length
              << " steps, mean return " << summary.mean_return << ", success rate " << summary.success_rate
              << "\n";
    envs.close();
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "remote_rollout: " << e.what() << "\n";
    return 1;
  }
}
