#pragma once
// RemotePolicy: an a2w Policy whose act() asks a PolicyServer (or a Python serve_policy) over ZeroMQ.
//
//   bridge::RemotePolicy policy({.endpoint = "tcp://127.0.0.1:5555"});
//   auto episodes = bridge::rollout(envs, policy, {.episodes = 20});     // remote_rollout.h
//
// The constructor says hello and keeps the server's spec and metadata. act() sends the batch as it is
// (arrays [B, ...], header batch = B) and returns the server's actions as float32 ([B, A] or chunks
// [B, H, A]). Nothing waits forever: a request fails with DeadlineExceeded after deadline_s, and with
// Unavailable within peer_timeout_s (2 s by default) when the server dies, since the client pings it while
// it waits. After a failure the next call reconnects and says hello again.
//
// Resets send the episodes' seeds along (those the rollout loop gives, or, for a reset without seeds, those
// of the VectorEnv in the options), so that a server can serve a policy that needs the simulator's state
// (shadow_policy.h, `a2w serve policy --policy expert`) or draws per-episode noise.

#include <memory>
#include <string>

#include "a2w/bridge/remote_rollout.h"
#include "a2w/bridge/spec.h"
#include "a2w/env/policy.h"
#include "a2w/env/vector_env.h"

namespace a2w::bridge {

struct RemotePolicyOptions {
  std::string endpoint = "tcp://127.0.0.1:5555";
  std::string server_public_key;   // CURVE (Z85) when the server uses keys
  double deadline_s = 30.0;        // per request: the longest a policy may think
  double connect_timeout_s = 5.0;  // to reach the server at all
  double peer_timeout_s = 2.0;     // silence (no reply, no pong) that means the server is gone
  int replan = 0;                  // keep only the first `replan` actions of each chunk (0: all)
  OnPolicyFailure on_failure = OnPolicyFailure::kStop;
  env::VectorEnv* envs = nullptr;  // optional: resets then carry the envs' episode seeds
};

class RemotePolicy final : public env::Policy, public FallibleRemote {
 public:
  // Connects and says hello; throws Unavailable when nobody answers, RemoteError when the server refuses.
  explicit RemotePolicy(RemotePolicyOptions options);
  ~RemotePolicy() override;

  std::string name() const override;  // "zmq://HOST:PORT"
  env::Array act(const env::Dict& obs) override;
  void reset(const std::vector<bool>& mask) override;
  void reset(const std::vector<bool>& mask, const std::vector<std::uint64_t>& seeds) override;
  OnPolicyFailure on_failure() const override { return options_.on_failure; }

  // From the server's hello.
  const ServedSpec& spec() const { return spec_; }
  const env::Dict& metadata() const { return metadata_; }

 private:
  void hello();
  void send_reset(const std::vector<bool>& mask, const std::vector<std::uint64_t>* seeds);

  struct Connection;
  RemotePolicyOptions options_;
  std::unique_ptr<Connection> conn_;
  ServedSpec spec_;
  env::Dict metadata_;
  bool greeted_ = false;
};

}  // namespace a2w::bridge
