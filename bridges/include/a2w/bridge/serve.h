#pragma once
// What the `a2w serve ...` verbs and the remote schemes of `a2w rollout --policy` do, as library calls.
//
//   a2w serve policy --task ID --policy random [--bind tcp://127.0.0.1:5555] [--openpi 8000]   ->
//   serve_policy() a2w serve env --task ID [--num-envs N] [--bind tcp://127.0.0.1:5556] -> serve_env() a2w
//   rollout --task ID --policy zmq://HOST:PORT | openpi://HOST:PORT                          ->
//   make_remote_policy()
//
// Remote policy URLs take options after '?', separated by '&':
//   zmq://HOST:PORT     deadline=S  connect_timeout=S  peer_timeout=S  replan=K  on_failure=stop|continue
//                       server_key=Z85 (the server's CURVE public key)
//   openpi://HOST:PORT  deadline=S  connect_timeout=S  replan=K  on_failure=stop|continue  keys=libero|none
//                       action_dim=D  api_key=KEY

#include <functional>
#include <memory>
#include <string>

#include "a2w/bridge/env_server.h"
#include "a2w/bridge/policy_server.h"
#include "a2w/env/policy.h"
#include "a2w/env/vector_env.h"

namespace a2w::bridge {

struct ServePolicyJob {
  std::string task;  // registry id: the spec the server announces, and the envs a policy is built over
  std::string policy_name = "random";
  // Builds the policy over a VectorEnv of the task (the CLI passes a2w::bench::make_policy).
  std::function<std::unique_ptr<env::Policy>(env::VectorEnv&)> make_policy;
  // The policy reads simulator state from its VectorEnv (the scripted expert): it is then served per client
  // session through a ShadowPolicy that follows the client's episodes (shadow_policy.h).
  bool privileged = false;
  env::Dict env_options;
  PolicyServerOptions server;
  // Called once every front end listens (the CLI prints the endpoints).
  std::function<void(const PolicyServer&)> on_ready;
};

// Serves until SIGINT or SIGTERM, then shuts down cleanly and returns.
void serve_policy(const ServePolicyJob& job);

struct ServeEnvJob {
  std::string task;
  env::Dict env_options;
  int num_envs = 1;     // > 1: each session gets a VectorEnv of this many envs
  int num_threads = 1;  // threads of each session's VectorEnv
  env::AutoresetMode autoreset = env::AutoresetMode::kNextStep;
  // When set, each session's env is this VectorEnv instead (A2World-sim's batched WorldModelVectorEnv).
  std::function<std::unique_ptr<env::VectorEnv>()> make_vector;
  EnvServerOptions server;
  std::function<void(const EnvServer&)> on_ready;
};

// Serves until SIGINT or SIGTERM.
void serve_env(const ServeEnvJob& job);

// True for zmq:// and openpi:// URLs.
bool is_remote_policy(const std::string& url);
// The policy a URL names (see above); `envs` (may be null) lets a zmq:// policy send its episode seeds.
// Throws InvalidArgument for a malformed URL or option, Unavailable when the server cannot be reached.
std::unique_ptr<env::Policy> make_remote_policy(const std::string& url, env::VectorEnv* envs);

}  // namespace a2w::bridge
