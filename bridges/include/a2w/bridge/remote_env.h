#pragma once
// RemoteEnv: an a2w Env whose reset() and step() run in an EnvServer elsewhere (another process, another
// machine). Its spec is the server's; it can be wrapped, put in a ThreadedVectorEnv, or rolled out like any
// Env.
//
//   auto env = std::make_unique<bridge::RemoteEnv>(bridge::RemoteEnvOptions{.endpoint =
//   "tcp://127.0.0.1:5556"}); auto [obs, info] = env->reset(42);
//
// Errors of the remote env come back as exceptions: bridge::RemoteError with code bad_request (a wrong
// action) or env_error (e.g. a step after the episode ended); Unavailable when the server goes away.

#include <memory>
#include <string>

#include "a2w/bridge/spec.h"
#include "a2w/env/env.h"

namespace a2w::bridge {

struct RemoteEnvOptions {
  std::string endpoint = "tcp://127.0.0.1:5556";
  std::string server_public_key;  // CURVE (Z85) when the server uses keys
  double deadline_s = 60.0;       // per request (building the env at hello, a step)
  double connect_timeout_s = 5.0;
  double peer_timeout_s = 2.0;
};

class RemoteEnv final : public env::Env {
 public:
  // Connects and says hello; the server builds the session's env. Throws InvalidArgument when the server
  // serves a VectorEnv (num_envs > 1): RemoteEnv is one env.
  explicit RemoteEnv(RemoteEnvOptions options);
  ~RemoteEnv() override;

  const env::EnvSpec& spec() const override { return spec_.env; }
  env::ResetResult reset(std::optional<std::uint64_t> seed = std::nullopt,
                         const env::Dict& options = {}) override;
  env::StepResult step(const env::Array& action) override;
  // Ends the session (the server closes its env). Safe to call twice.
  void close() override;

 private:
  struct Connection;
  RemoteEnvOptions options_;
  std::unique_ptr<Connection> conn_;
  ServedSpec spec_;
  bool closed_ = false;
};

}  // namespace a2w::bridge
