#pragma once
// OpenPiPolicy: an a2w Policy that drives an unmodified OpenPI policy server (openpi's
// scripts/serve_policy.py, or anything speaking its websocket protocol) from an a2w rollout.
//
//   bridge::OpenPiPolicy policy({.host = "127.0.0.1", .port = 8000, .replan = 5});
//   auto episodes = bridge::rollout(envs, policy, {.episodes = 50});
//
// On connect it reads the server's metadata frame first (metadata()). act() sends each row of the batch as
// one observation, renamed by the key map (key_map.h: LIBERO by default), and takes the reply's "actions"
// [H, D] as that row's action chunk: the first A columns (the env's action size; pi0 pads to 32) as float32.
// It returns chunks [B, H, A] (H = min(H, replan) when replan > 0), which the rollout executes before asking
// again. A text frame from the server is its error (RemoteError); a broken connection or a reply later than
// deadline_s is Unavailable / DeadlineExceeded, and the next act() reconnects.

#include <memory>
#include <string>

#include "a2w/bridge/key_map.h"
#include "a2w/bridge/remote_rollout.h"
#include "a2w/env/policy.h"

namespace a2w::bridge {

struct OpenPiPolicyOptions {
  std::string host = "127.0.0.1";
  int port = 8000;
  KeyMap key_map = KeyMap::kLibero;
  int action_dim = 7;        // columns of "actions" to keep
  int replan = 0;            // actions of each chunk to execute before asking again (0: all)
  double deadline_s = 60.0;  // per request; OpenPI servers answer no pings while they infer
  double connect_timeout_s = 10.0;
  std::string api_key;  // sent as "Authorization: Api-Key <key>" when set, as openpi-client does
  std::size_t max_message_bytes = std::size_t{64} << 20;
  OnPolicyFailure on_failure = OnPolicyFailure::kStop;
};

class OpenPiPolicy final : public env::Policy, public FallibleRemote {
 public:
  // Connects and reads the metadata frame; throws Unavailable when the server cannot be reached.
  explicit OpenPiPolicy(OpenPiPolicyOptions options);
  ~OpenPiPolicy() override;

  std::string name() const override;  // "openpi://HOST:PORT"
  env::Array act(const env::Dict& obs) override;
  OnPolicyFailure on_failure() const override { return options_.on_failure; }
  // The server's first frame.
  const env::Dict& metadata() const { return metadata_; }

 private:
  void connect();

  struct Connection;
  OpenPiPolicyOptions options_;
  std::unique_ptr<Connection> conn_;
  env::Dict metadata_;
};

}  // namespace a2w::bridge
