#pragma once
// PolicyServer: serves any a2w Policy to other processes over ZeroMQ (docs/bridge-protocol.md) and, when
// asked, over OpenPI's websocket protocol, so an unmodified openpi-client can call it too.
//
//   auto policy = std::make_shared<env::RandomPolicy>(space, 0);
//   bridge::PolicyServer server(policy, {.bind = "tcp://127.0.0.1:5555", .openpi = "8000"});
//   server.start();          // binds, then serves on background threads
//   server.wait();           // until stop() (from a signal handler thread, say)
//
// Threads: one I/O thread per front end receives, decodes and answers pings and hellos at once; one worker
// runs the policy. While the worker is busy, requests queue; when it is free it takes every queued request
// of the same layout (up to max_batch rows) and runs them as one act() call: concurrent clients are batched
// without anyone waiting on purpose (max_wait_ms > 0 waits that long for company when the worker is idle).
// A lone request to an idle, quick policy (its last 8 calls under 2 ms, none ever over 500 ms) runs on the
// I/O thread itself, saving two thread wake-ups; a policy that thinks longer always runs on the worker, so
// pings are answered while it thinks.
//
// Two ways to hold the policy:
//   shared       one Policy for every client (constructor with a shared_ptr). It must be stateless: row i of
//                act() depends on row i of the observations only, because rows of different clients share
//                calls. Resets from clients are acknowledged and otherwise ignored.
//   per session  a factory makes one Policy per client session (its first message), freed when the client
//                closes or goes silent for session_timeout_s. Its resets reach Policy::reset, with the
//                episode seeds when they carry them (shadow_policy.h). No batching across
//                clients (a client's own batch is still one call).
//
// Requests: `infer` with header `batch` B takes a batch (arrays [B, ...]) and returns {"actions": [B, ...]};
// without `batch` it takes one observation and returns {"actions": [H, D]} (H = 1 for single actions), as
// OpenPI does. Replies also carry "server_timing": {"infer_ms", "batch_rows"}.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "a2w/bridge/key_map.h"
#include "a2w/bridge/spec.h"
#include "a2w/env/policy.h"

namespace a2w::bridge {

struct PolicyServerOptions {
  // ZeroMQ endpoint. Port 0 picks a free port (endpoint() says which). A non-loopback address needs
  // curve_keys_dir (security.h).
  std::string bind = "tcp://127.0.0.1:5555";
  std::string curve_keys_dir;
  // "[HOST:]PORT": also serve OpenPI's websocket protocol there (HOST defaults to 127.0.0.1; port 0 picks a
  // free port). Empty: no websocket. The websocket has no encryption: a non-loopback HOST also needs
  // openpi_allow_remote (put TLS or an SSH tunnel in front).
  std::string openpi;
  bool openpi_allow_remote = false;
  // Observations that arrive over the websocket are renamed with this map (key_map.h) before act().
  KeyMap openpi_key_map = KeyMap::kLibero;
  std::size_t max_message_bytes = std::size_t{64} << 20;  // larger messages are refused unread
  int max_batch = 64;        // rows of one act() call, summed over the requests batched into it
  double max_wait_ms = 0.0;  // how long an idle worker waits for more requests to batch
  double session_timeout_s = 300.0;
  int max_sessions = 64;
  ServedSpec spec;     // what the policy expects and returns, sent in the hello reply
  env::Dict metadata;  // OpenPI-style metadata: in the hello reply and the websocket's first frame
};

class PolicyServer {
 public:
  using Factory = std::function<std::unique_ptr<env::Policy>()>;

  PolicyServer(std::shared_ptr<env::Policy> shared_policy, PolicyServerOptions options);
  PolicyServer(Factory per_session, PolicyServerOptions options);
  ~PolicyServer();  // stop()
  PolicyServer(const PolicyServer&) = delete;
  PolicyServer& operator=(const PolicyServer&) = delete;

  // Binds every front end (throws a2w::Error when it cannot: port in use, non-loopback without keys) and
  // starts serving.
  void start();
  // Stops serving; queued requests get a shutting_down error. Thread safe, idempotent.
  void stop();
  // Blocks until stop().
  void wait();

  // "tcp://127.0.0.1:41321" once started.
  std::string endpoint() const;
  // "ws://127.0.0.1:8000" once started, empty without a websocket front end.
  std::string openpi_endpoint() const;

  struct Stats {
    std::uint64_t requests = 0;   // messages received (ZeroMQ)
    std::uint64_t malformed = 0;  // answered with bad_message or unsupported_version
    std::uint64_t sessions = 0;   // open sessions now
  };
  Stats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace a2w::bridge
