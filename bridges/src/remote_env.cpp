#include "a2w/bridge/remote_env.h"

#include "client.h"

namespace a2w::bridge {

struct RemoteEnv::Connection {
  explicit Connection(detail::ClientOptions o) : client(std::move(o)) {}
  detail::Client client;
};

namespace {

env::Dict dict_at(const Body& b, const char* key) {
  const env::Value& v = b.at(key);
  if (!v.is_dict())
    throw InvalidArgument(std::string("env server reply: ") + key + ": expected a map, got " +
                          env::describe(v));
  return v.as_dict();
}

}  // namespace

RemoteEnv::RemoteEnv(RemoteEnvOptions options) : options_(std::move(options)) {
  detail::ClientOptions co;
  co.endpoint = options_.endpoint;
  co.server_public_key = options_.server_public_key;
  co.connect_timeout_s = options_.connect_timeout_s;
  co.peer_timeout_s = options_.peer_timeout_s;
  co.deadline_s = options_.deadline_s;
  co.what = "env server";
  conn_ = std::make_unique<Connection>(co);
  const auto r = conn_->client.request(MessageType::kHello,
                                       Body{{"role", "env"}, {"client", std::string("a2w/") + A2W_VERSION}});
  spec_ = spec_from_wire(r.body.at("spec"));
  if (spec_.vector_env || spec_.num_envs != 1)
    throw InvalidArgument("RemoteEnv: the server at " + options_.endpoint + " serves a VectorEnv of " +
                          std::to_string(spec_.num_envs) +
                          " envs; expected one env (serve it with --num-envs 1)");
  if (!spec_.env.observation_space || !spec_.env.action_space)
    throw InvalidArgument("RemoteEnv: the server's spec has no observation or action space");
}

RemoteEnv::~RemoteEnv() {
  try {
    close();
  } catch (const std::exception&) {
    // The server times the session out anyway.
  }
}

env::ResetResult RemoteEnv::reset(std::optional<std::uint64_t> seed, const env::Dict& options) {
  Body body;
  body.set("seed", seed ? env::Value(static_cast<std::int64_t>(*seed)) : env::Value());
  body.set("options", options);
  const auto r = conn_->client.request(MessageType::kReset, body);
  return {dict_at(r.body, "obs"), dict_at(r.body, "info")};
}

env::StepResult RemoteEnv::step(const env::Array& action) {
  const auto r = conn_->client.request(MessageType::kStep, Body{{"action", action}});
  env::StepResult s;
  s.obs = dict_at(r.body, "obs");
  s.reward = r.body.at("reward").as_double();
  s.terminated = r.body.at("terminated").as_bool();
  s.truncated = r.body.at("truncated").as_bool();
  s.info = dict_at(r.body, "info");
  return s;
}

void RemoteEnv::close() {
  if (closed_) return;
  closed_ = true;
  conn_->client.request(MessageType::kClose, Body{}, std::nullopt, 1.0);
}

}  // namespace a2w::bridge
