#include "a2w/bridge/serve.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <map>

#include "a2w/bridge/openpi_policy.h"
#include "a2w/bridge/remote_policy.h"
#include "a2w/bridge/shadow_policy.h"
#include "a2w/env/registry.h"

namespace a2w::bridge {

namespace {

// Blocks until SIGINT or SIGTERM, then calls `stop`.
void until_signal(const std::function<void()>& stop) {
  boost::asio::io_context io;
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int) { stop(); });
  io.run();
}

struct Url {
  std::string scheme, host;
  int port = 0;
  std::map<std::string, std::string> query;
};

Url parse_url(const std::string& url) {
  Url u;
  const auto sep = url.find("://");
  if (sep == std::string::npos)
    throw InvalidArgument("policy URL: expected SCHEME://HOST:PORT, got '" + url + "'");
  u.scheme = url.substr(0, sep);
  std::string rest = url.substr(sep + 3), query;
  if (const auto q = rest.find('?'); q != std::string::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  const auto colon = rest.rfind(':');
  const std::string port = colon == std::string::npos ? "" : rest.substr(colon + 1);
  if (colon == std::string::npos || colon == 0 || port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos || std::stoi(port) < 1 ||
      std::stoi(port) > 65535)
    throw InvalidArgument("policy URL: expected " + u.scheme + "://HOST:PORT with PORT in 1..65535, got '" +
                          url + "'");
  u.host = rest.substr(0, colon);
  if (u.host.size() >= 2 && u.host.front() == '[' && u.host.back() == ']')
    u.host = u.host.substr(1, u.host.size() - 2);
  u.port = std::stoi(port);
  std::size_t start = 0;
  while (start < query.size()) {
    const auto amp = query.find('&', start);
    const std::string item = query.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
    start = amp == std::string::npos ? query.size() : amp + 1;
    if (item.empty()) continue;
    const auto eq = item.find('=');
    if (eq == std::string::npos)
      throw InvalidArgument("policy URL: expected KEY=VALUE after '?', got '" + item + "'");
    u.query[item.substr(0, eq)] = item.substr(eq + 1);
  }
  return u;
}

double number(const Url& u, const char* key, double fallback) {
  auto it = u.query.find(key);
  if (it == u.query.end()) return fallback;
  char* end = nullptr;
  const double v = std::strtod(it->second.c_str(), &end);
  if (it->second.empty() || *end != '\0' || !(v >= 0))
    throw InvalidArgument(std::string("policy URL: ") + key + ": expected a non-negative number, got '" +
                          it->second + "'");
  return v;
}

void check_keys(const Url& u, std::initializer_list<const char*> known) {
  for (const auto& [k, v] : u.query) {
    bool ok = false;
    std::string list;
    for (const char* n : known) {
      ok = ok || k == n;
      list += (list.empty() ? "" : ", ") + std::string(n);
    }
    if (!ok) throw InvalidArgument("policy URL: unknown option '" + k + "'; expected one of: " + list);
  }
}

}  // namespace

void serve_policy(const ServePolicyJob& job) {
  if (!job.make_policy) throw InvalidArgument("serve_policy: expected a policy maker, got an empty function");
  (void)a2w::registration(job.task);
  PolicyServerOptions o = job.server;
  // The spec clients see: the task's spaces and control rate, one action per request.
  env::EnvPtr probe = a2w::make(job.task, job.env_options);
  o.spec.env = probe->spec();
  o.spec.action_horizon = 1;
  probe->close();
  probe.reset();
  o.metadata.insert({"policy", job.policy_name});
  o.metadata.insert({"task", job.task});
  o.metadata.insert({"action_horizon", 1});
  o.metadata.insert({"control_hz", o.spec.env.control_hz});

  std::unique_ptr<env::VectorEnv> envs;  // the shared policy's envs live as long as it
  std::unique_ptr<PolicyServer> server;
  if (job.privileged) {
    const std::string task = job.task;
    const env::Dict options = job.env_options;
    const auto make = job.make_policy;
    server = std::make_unique<PolicyServer>(
        [task, options, make]() -> std::unique_ptr<env::Policy> {
          return std::make_unique<ShadowPolicy>(task, options, make);
        },
        o);
  } else {
    env::Dict state_only = job.env_options;
    state_only["render"] = false;
    envs =
        std::make_unique<env::ThreadedVectorEnv>([&](int) { return a2w::make(job.task, state_only); },
                                                 env::VectorEnvOptions{1, 1, env::AutoresetMode::kDisabled});
    server = std::make_unique<PolicyServer>(std::shared_ptr<env::Policy>(job.make_policy(*envs)), o);
  }
  server->start();
  if (job.on_ready) job.on_ready(*server);
  until_signal([&] { server->stop(); });
  server.reset();
  if (envs) envs->close();
}

void serve_env(const ServeEnvJob& job) {
  EnvServer server(job.make_vector ? EnvFactory::of_vector(job.make_vector)
                                   : EnvFactory::registry(job.task, job.env_options, job.num_envs,
                                                          job.num_threads, job.autoreset),
                   job.server);
  server.start();
  if (job.on_ready) job.on_ready(server);
  until_signal([&] { server.stop(); });
}

bool is_remote_policy(const std::string& url) {
  return url.rfind("zmq://", 0) == 0 || url.rfind("openpi://", 0) == 0;
}

std::unique_ptr<env::Policy> make_remote_policy(const std::string& url, env::VectorEnv* envs) {
  const Url u = parse_url(url);
  const std::string host = u.host.find(':') != std::string::npos ? "[" + u.host + "]" : u.host;
  if (u.scheme == "zmq") {
    check_keys(u, {"deadline", "connect_timeout", "peer_timeout", "replan", "on_failure", "server_key"});
    RemotePolicyOptions o;
    o.endpoint = "tcp://" + host + ":" + std::to_string(u.port);
    o.deadline_s = number(u, "deadline", o.deadline_s);
    o.connect_timeout_s = number(u, "connect_timeout", o.connect_timeout_s);
    o.peer_timeout_s = number(u, "peer_timeout", o.peer_timeout_s);
    o.replan = static_cast<int>(number(u, "replan", 0));
    if (u.query.count("on_failure")) o.on_failure = parse_on_policy_failure(u.query.at("on_failure"));
    if (u.query.count("server_key")) o.server_public_key = u.query.at("server_key");
    o.envs = envs;
    return std::make_unique<RemotePolicy>(o);
  }
  if (u.scheme == "openpi") {
    check_keys(u, {"deadline", "connect_timeout", "replan", "on_failure", "keys", "action_dim", "api_key"});
    OpenPiPolicyOptions o;
    o.host = u.host;
    o.port = u.port;
    o.deadline_s = number(u, "deadline", o.deadline_s);
    o.connect_timeout_s = number(u, "connect_timeout", o.connect_timeout_s);
    o.replan = static_cast<int>(number(u, "replan", 0));
    o.action_dim = static_cast<int>(number(u, "action_dim", envs ? 0 : 7));
    if (o.action_dim == 0) {
      const auto* box = dynamic_cast<const env::Box*>(envs->single_spec().action_space.get());
      o.action_dim = box && box->shape().size() == 1 ? static_cast<int>(box->shape()[0]) : 7;
    }
    if (u.query.count("on_failure")) o.on_failure = parse_on_policy_failure(u.query.at("on_failure"));
    if (u.query.count("keys")) o.key_map = parse_key_map(u.query.at("keys"));
    if (u.query.count("api_key")) o.api_key = u.query.at("api_key");
    return std::make_unique<OpenPiPolicy>(o);
  }
  throw InvalidArgument("policy URL: expected zmq:// or openpi://, got '" + url + "'");
}

}  // namespace a2w::bridge
