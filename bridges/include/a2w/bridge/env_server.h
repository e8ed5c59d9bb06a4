#pragma once
// EnvServer: serves environments to other processes over ZeroMQ (docs/bridge-protocol.md): any registered
// id (MuJoCo tasks, A2World-sim) or any Env / VectorEnv a factory makes. Each client session gets its own
// env (or VectorEnv), built on a thread of its own when the client says hello, stepped there and destroyed
// there (an env may hold a thread-bound GL context), so a slow or stuck client never holds up the others.
//
//   bridge::EnvServer server(bridge::EnvFactory::registry("a2w/LiftCube-v0", {{"render", false}}),
//                            {.bind = "tcp://127.0.0.1:5556"});
//   server.start();
//
// Requests of a session (after hello):
//   reset {"seed": int|nil, "options": {...}}          -> {"obs": {...}, "info": {...}}
//   step  {"action": ndarray}                           -> {"obs", "reward", "terminated", "truncated",
//   "info"} close {}                                            -> {} and the session ends
// With a VectorEnv (num_envs > 1) observations, rewards and flags are batched, infos come as a list "infos",
// reset may carry "mask" and "seeds", step may carry "active", and SAME_STEP servers add "final_obs" and
// "final_info" (lists with nil where an env did not end).
//
// A client that sends garbage gets an error reply and keeps its session; one that disappears loses its
// session after session_timeout_s of silence; errors of the env (a step after the episode ended, an action
// of the wrong shape) come back as env_error / bad_request and the session goes on.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "a2w/env/env.h"
#include "a2w/env/vector_env.h"

namespace a2w::bridge {

// How a session's env is made: one Env, or a VectorEnv.
struct EnvFactory {
  std::function<env::EnvPtr()> single;
  std::function<std::unique_ptr<env::VectorEnv>()> vector;

  static EnvFactory of_env(std::function<env::EnvPtr()> make);
  static EnvFactory of_vector(std::function<std::unique_ptr<env::VectorEnv>()> make);
  // a2w::make(id, options); with num_envs > 1 a ThreadedVectorEnv of that many (threads: num_threads, 0 = one
  // per core) in `autoreset` mode. Throws NotFound now for an unknown id.
  static EnvFactory registry(const std::string& id, env::Dict options = {}, int num_envs = 1,
                             int num_threads = 1,
                             env::AutoresetMode autoreset = env::AutoresetMode::kNextStep);
};

struct EnvServerOptions {
  std::string bind = "tcp://127.0.0.1:5556";  // port 0: a free port; non-loopback needs curve_keys_dir
  std::string curve_keys_dir;
  std::size_t max_message_bytes = std::size_t{64} << 20;
  int max_sessions = 8;             // each holds an env (and a thread)
  double session_timeout_s = 60.0;  // a client silent this long loses its session
  int max_queued = 16;              // requests waiting in one session; more get bad_request
};

class EnvServer {
 public:
  EnvServer(EnvFactory factory, EnvServerOptions options);
  ~EnvServer();  // stop()
  EnvServer(const EnvServer&) = delete;
  EnvServer& operator=(const EnvServer&) = delete;

  // Binds (throws a2w::Error when it cannot) and serves on background threads.
  void start();
  // Ends every session (their envs are closed on their threads) and stops. Thread safe, idempotent.
  void stop();
  void wait();
  std::string endpoint() const;

  struct Stats {
    std::uint64_t requests = 0, malformed = 0;
    std::uint64_t sessions = 0;         // open now
    std::uint64_t sessions_opened = 0;  // since start
    std::uint64_t sessions_timed_out = 0;
  };
  Stats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace a2w::bridge
