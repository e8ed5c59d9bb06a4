#include "a2w/bridge/policy_server.h"

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "a2w/bridge/codec.h"
#include "a2w/bridge/security.h"
#include "batcher.h"
#include "batching.h"
#include "openpi_frontend.h"
#include "router.h"
#include "wire.h"

namespace a2w::bridge {

namespace {

using detail::Clock;
using detail::Incoming;
using detail::Peer;

// "[HOST:]PORT" -> host, port.
std::pair<std::string, int> parse_host_port(const std::string& s, const char* what) {
  std::string host = "127.0.0.1", port = s;
  if (const auto colon = s.rfind(':'); colon != std::string::npos) {
    host = s.substr(0, colon);
    port = s.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  }
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(port) > 65535)
    throw InvalidArgument(std::string(what) + ": expected [HOST:]PORT with PORT in 0..65535, got '" + s +
                          "'");
  return {host, std::stoi(port)};
}

std::vector<bool> mask_from(const env::Value& v) {
  std::vector<bool> mask;
  if (v.is_array()) {
    const env::Array& a = v.as_array();
    if (a.ndim() != 1) throw InvalidArgument("reset: mask: expected a 1-d array, got " + env::describe(a));
    for (std::int64_t i = 0; i < a.size(); ++i) mask.push_back(a.at(i) != 0);
  } else if (v.is_list()) {
    for (const auto& e : v.as_list()) mask.push_back(e.as_bool());
  } else {
    throw InvalidArgument("reset: mask: expected bools, got " + env::describe(v));
  }
  if (mask.empty() || mask.size() > 65536)
    throw InvalidArgument("reset: mask: expected 1 to 65536 entries, got " + std::to_string(mask.size()));
  return mask;
}

std::vector<std::uint64_t> seeds_from(const env::Value& v, std::size_t n) {
  std::vector<std::uint64_t> seeds;
  if (v.is_array()) {
    const env::Array& a = v.as_array();
    if (a.dtype() != env::DType::kInt64 && a.dtype() != env::DType::kInt32)
      throw InvalidArgument("reset: seeds: expected integers, got " + env::describe(a));
    for (std::int64_t i = 0; i < a.size(); ++i) seeds.push_back(static_cast<std::uint64_t>(a.at_int(i)));
  } else if (v.is_list()) {
    for (const auto& e : v.as_list()) seeds.push_back(static_cast<std::uint64_t>(e.as_int()));
  } else {
    throw InvalidArgument("reset: seeds: expected integers, got " + env::describe(v));
  }
  if (seeds.size() != n)
    throw InvalidArgument("reset: expected as many seeds as mask entries (" + std::to_string(n) + "), got " +
                          std::to_string(seeds.size()));
  return seeds;
}

}  // namespace

struct PolicyServer::Impl {
  PolicyServerOptions options;
  std::unique_ptr<detail::Batcher> batcher;
  std::unique_ptr<detail::Router> router;
  std::unique_ptr<detail::OpenPiFrontend> openpi;
  std::thread io;
  std::atomic<std::uint64_t> next_session{1};
  std::mutex mu;
  std::condition_variable stopped_cv;
  bool started = false, stopped = false, done = false;
  std::string endpoint, ws_endpoint;

  struct Session {
    std::uint64_t number = 0;
    Clock::time_point last_seen;
  };
  std::map<std::string, Session> sessions;  // I/O thread only
  std::vector<detail::InferJob> pending;    // I/O thread only: infer requests of the current burst
  std::atomic<std::uint64_t> open_sessions{0};

  DecodeLimits limits() const {
    DecodeLimits l;
    l.max_message_bytes = options.max_message_bytes;
    return l;
  }

  Session* session_for(const Peer& peer, bool create) {
    auto it = sessions.find(peer.id);
    if (it != sessions.end()) return &it->second;
    if (!create) return nullptr;
    if (static_cast<int>(sessions.size()) >= options.max_sessions) return nullptr;
    Session s{next_session++, Clock::now()};
    open_sessions = sessions.size() + 1;
    return &sessions.emplace(peer.id, s).first->second;
  }

  void end_session(const std::string& peer_id) {
    auto it = sessions.find(peer_id);
    if (it == sessions.end()) return;
    batcher->end_session(it->second.number);
    sessions.erase(it);
    open_sessions = sessions.size();
  }

  Body hello_body() const {
    return Body{{"protocol", "a2w-bridge"},
                {"v", kProtocolVersion.str()},
                {"role", "policy"},
                {"server", std::string("a2w/") + A2W_VERSION},
                {"status", "ready"},
                {"spec", spec_to_wire(options.spec)},
                {"metadata", options.metadata},
                {"max_message_bytes", static_cast<std::int64_t>(options.max_message_bytes)},
                {"batching", env::Dict{{"max_batch", options.max_batch},
                                       {"max_wait_ms", options.max_wait_ms},
                                       {"per_session", batcher->per_session()}}}};
  }

  void on_message(Incoming&& in) {
    detail::Router& r = *router;
    const MessageType type = in.header.type;
    if (type == MessageType::kStep)
      return r.send_error(
          in.peer, in.header.id, ErrorCode::kUnknownType,
          "this is a policy server: it answers hello, infer, reset, close and ping; send step to "
          "an env server");
    if (type == MessageType::kClose) {
      end_session(in.peer.id);
      r.send(in.peer, MessageType::kClose, in.header.id, wire::encode_message(Body{}));
      return;
    }
    Session* s = session_for(in.peer, true);
    if (!s)
      return r.send_error(in.peer, in.header.id, ErrorCode::kTooManySessions,
                          "the policy server has " + std::to_string(options.max_sessions) +
                              " sessions open, its maximum; retry later");
    s->last_seen = in.received;
    const std::uint64_t session = s->number;
    const Body body = decode(wire::view(*in.body), limits(), in.body);

    if (type == MessageType::kHello) {
      if (const env::Value* role = body.find("role");
          role && !(role->is_string() && role->as_string() == "policy"))
        return r.send_error(in.peer, in.header.id, ErrorCode::kBadRequest,
                            "hello: this server serves a policy; the client asked for role " +
                                env::describe(*role) +
                                (role->is_string() ? " '" + role->as_string() + "'" : ""));
      r.send(in.peer, MessageType::kHello, in.header.id, wire::encode_message(hello_body()));
      return;
    }
    if (type == MessageType::kReset) {
      std::vector<bool> mask;
      std::vector<std::uint64_t> seeds;
      if (const env::Value* m = body.find("mask")) mask = mask_from(*m);
      if (const env::Value* sd = body.find("seeds")) seeds = seeds_from(*sd, mask.size());
      if (mask.empty()) mask.assign(1, true);
      const Peer peer = in.peer;
      const std::uint64_t id = in.header.id;
      detail::Router* rp = router.get();
      batcher->reset(session, std::move(mask), std::move(seeds), [rp, peer, id](const std::string& error) {
        if (error.empty())
          rp->post(peer, MessageType::kReset, id, wire::encode_message(Body{}));
        else
          rp->post_error(peer, id, ErrorCode::kPolicyError, "the policy's reset failed: " + error);
      });
      return;
    }
    if (type != MessageType::kInfer)
      return r.send_error(in.peer, in.header.id, ErrorCode::kUnknownType,
                          "this policy server does not answer " + std::string(to_string(type)));

    detail::InferJob job;
    job.session = session;
    job.deadline = in.deadline;
    const bool single = !in.header.batch.has_value();
    if (single) {
      job.obs = detail::as_batch_of_one(body.to_dict());
      job.rows = 1;
    } else {
      job.obs = body.to_dict();
      job.rows = *in.header.batch;
      try {
        detail::check_rows(job.obs, job.rows);
      } catch (const InvalidArgument& e) {
        return r.send_error(in.peer, in.header.id, ErrorCode::kBadRequest, e.what());
      }
    }
    if (job.obs.empty())
      return r.send_error(in.peer, in.header.id, ErrorCode::kBadRequest,
                          "infer: expected an observation with at least one key, got an empty map");
    job.signature = detail::signature(job.obs);
    const Peer peer = in.peer;
    const std::uint64_t id = in.header.id;
    detail::Router* rp = router.get();
    job.done = [rp, peer, id, single](detail::InferResult&& res) {
      if (res.error) return rp->post_error(peer, id, *res.error, res.message);
      env::Array a = res.actions;
      if (single) {
        a = a.row(0);
        if (a.ndim() <= 1) a = a.reshape({1, a.ndim() == 0 ? 1 : a.dim(0)});
      }
      const Body reply{
          {"actions", a},
          {"server_timing", env::Dict{{"infer_ms", res.infer_ms}, {"batch_rows", res.batch_rows}}}};
      rp->post(peer, MessageType::kInfer, id, wire::encode_message(reply));
    };
    pending.push_back(std::move(job));
  }

  // After each burst of received messages: one infer request alone may run inline (Batcher::run_inline);
  // several go to the worker, which batches them.
  void dispatch() {
    if (pending.empty()) return;
    if (!(pending.size() == 1 && options.max_wait_ms <= 0 && batcher->run_inline(pending)))
      for (auto& j : pending) batcher->infer(std::move(j));
    pending.clear();
  }

  void on_tick() {
    dispatch();
    const auto now = Clock::now();
    const auto timeout = std::chrono::duration<double>(options.session_timeout_s);
    std::vector<std::string> expired;
    for (const auto& [peer, s] : sessions)
      if (now - s.last_seen > timeout) expired.push_back(peer);
    for (const auto& p : expired) end_session(p);
  }
};

PolicyServer::PolicyServer(std::shared_ptr<env::Policy> shared_policy, PolicyServerOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->batcher = std::make_unique<detail::Batcher>(
      std::move(shared_policy), impl_->options.max_batch,
      std::chrono::microseconds(static_cast<std::int64_t>(impl_->options.max_wait_ms * 1000)));
}

PolicyServer::PolicyServer(Factory per_session, PolicyServerOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->batcher = std::make_unique<detail::Batcher>(
      std::move(per_session), impl_->options.max_batch,
      std::chrono::microseconds(static_cast<std::int64_t>(impl_->options.max_wait_ms * 1000)));
}

PolicyServer::~PolicyServer() {
  stop();
}

void PolicyServer::start() {
  Impl& m = *impl_;
  std::lock_guard lock(m.mu);
  if (m.started) throw Error("PolicyServer: start() called twice");
  detail::RouterOptions ro;
  ro.bind = m.options.bind;
  ro.max_message_bytes = m.options.max_message_bytes;
  if (!m.options.curve_keys_dir.empty()) ro.keys = load_server_keys(m.options.curve_keys_dir);
  m.router = std::make_unique<detail::Router>(ro);
  m.endpoint = m.router->endpoint();
  if (!m.options.openpi.empty()) {
    auto [host, port] = parse_host_port(m.options.openpi, "--openpi");
    if (!is_loopback("tcp://" + host + ":1") && !m.options.openpi_allow_remote)
      throw InvalidArgument("--openpi " + m.options.openpi +
                            ": the OpenPI websocket is not encrypted; binding beyond loopback needs "
                            "--openpi-allow-remote (and TLS or an SSH tunnel in front)");
    detail::OpenPiFrontendOptions wo;
    wo.host = host;
    wo.port = port;
    wo.metadata = m.options.metadata;
    wo.key_map = m.options.openpi_key_map;
    wo.max_message_bytes = m.options.max_message_bytes;
    wo.new_session = [&m] { return m.next_session++; };
    m.openpi = std::make_unique<detail::OpenPiFrontend>(*m.batcher, wo);
    m.openpi->start();
    m.ws_endpoint = "ws://" + (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
                    std::to_string(m.openpi->port());
  }
  m.started = true;
  m.io = std::thread([&m] {
    m.router->run([&m](Incoming&& in) { m.on_message(std::move(in)); }, [&m] { m.on_tick(); },
                  std::chrono::milliseconds(100));
  });
}

void PolicyServer::stop() {
  Impl& m = *impl_;
  {
    std::lock_guard lock(m.mu);
    if (m.stopped) return;
    m.stopped = true;
  }
  if (m.router) m.router->stop();
  if (m.io.joinable()) m.io.join();
  if (m.openpi) m.openpi->stop();
  m.batcher->stop();
  std::lock_guard lock(m.mu);
  m.done = true;
  m.stopped_cv.notify_all();
}

void PolicyServer::wait() {
  std::unique_lock lock(impl_->mu);
  impl_->stopped_cv.wait(lock, [&] { return impl_->done; });
}

std::string PolicyServer::endpoint() const {
  return impl_->endpoint;
}
std::string PolicyServer::openpi_endpoint() const {
  return impl_->ws_endpoint;
}

PolicyServer::Stats PolicyServer::stats() const {
  Stats s;
  if (impl_->router) {
    s.requests = impl_->router->counters().received;
    s.malformed = impl_->router->counters().malformed;
  }
  s.sessions = impl_->open_sessions;
  return s;
}

}  // namespace a2w::bridge
