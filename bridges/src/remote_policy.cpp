#include "a2w/bridge/remote_policy.h"

#include "a2w/bridge/errors.h"
#include "batching.h"
#include "client.h"

namespace a2w::bridge {

struct RemotePolicy::Connection {
  explicit Connection(detail::ClientOptions o) : client(std::move(o)) {}
  detail::Client client;
};

namespace {

// Keeps the first `k` actions of each chunk [B, H, A] (a copy: a chunk's rows are not contiguous).
env::Array first_actions(const env::Array& a, int k) {
  if (k <= 0 || a.ndim() != 3 || a.dim(1) <= k) return a;
  env::Shape shape = a.shape();
  shape[1] = k;
  env::Array out(a.dtype(), shape);
  for (std::int64_t b = 0; b < a.dim(0); ++b) out.row(b).copy_from(a.row(b).rows(0, k));
  return out;
}

}  // namespace

RemotePolicy::RemotePolicy(RemotePolicyOptions options) : options_(std::move(options)) {
  detail::ClientOptions co;
  co.endpoint = options_.endpoint;
  co.server_public_key = options_.server_public_key;
  co.connect_timeout_s = options_.connect_timeout_s;
  co.peer_timeout_s = options_.peer_timeout_s;
  co.deadline_s = options_.deadline_s;
  co.what = "policy server";
  conn_ = std::make_unique<Connection>(co);
  hello();
}

RemotePolicy::~RemotePolicy() {
  if (!conn_ || !greeted_) return;
  try {
    conn_->client.request(MessageType::kClose, Body{}, std::nullopt, 0.5);
  } catch (const std::exception&) {
    // Closing is a courtesy: the server times the session out anyway.
  }
}

std::string RemotePolicy::name() const {
  std::string e = options_.endpoint;
  if (e.rfind("tcp://", 0) == 0) e = e.substr(6);
  return "zmq://" + e;
}

void RemotePolicy::hello() {
  greeted_ = false;
  const auto r = conn_->client.request(
      MessageType::kHello, Body{{"role", "policy"}, {"client", std::string("a2w/") + A2W_VERSION}},
      std::nullopt, std::max(options_.connect_timeout_s, 1.0) + options_.peer_timeout_s);
  spec_ = spec_from_wire(r.body.at("spec"));
  if (const env::Value* m = r.body.find("metadata"); m && m->is_dict()) metadata_ = m->as_dict();
  greeted_ = true;
}

void RemotePolicy::reset(const std::vector<bool>& mask) {
  if (options_.envs && options_.envs->num_envs() == static_cast<int>(mask.size())) {
    std::vector<std::uint64_t> seeds(mask.size());
    for (std::size_t i = 0; i < mask.size(); ++i) seeds[i] = options_.envs->episode_seed(static_cast<int>(i));
    send_reset(mask, &seeds);
  } else {
    send_reset(mask, nullptr);
  }
}

void RemotePolicy::reset(const std::vector<bool>& mask, const std::vector<std::uint64_t>& seeds) {
  send_reset(mask, seeds.size() == mask.size() ? &seeds : nullptr);
}

void RemotePolicy::send_reset(const std::vector<bool>& mask, const std::vector<std::uint64_t>* seeds) {
  try {
    if (!greeted_) hello();
    env::Array m(env::DType::kBool, {static_cast<std::int64_t>(mask.size())});
    for (std::size_t i = 0; i < mask.size(); ++i) m.data<bool>()[i] = mask[i];
    Body body{{"mask", m}};
    if (seeds) {
      env::Array s(env::DType::kInt64, {static_cast<std::int64_t>(mask.size())});
      for (std::size_t i = 0; i < mask.size(); ++i)
        s.data<std::int64_t>()[i] = static_cast<std::int64_t>((*seeds)[i]);
      body.set("seeds", s);
    }
    conn_->client.request(MessageType::kReset, body);
  } catch (const Unavailable&) {
    greeted_ = false;
    throw;
  }
}

env::Array RemotePolicy::act(const env::Dict& obs) {
  const std::int64_t rows = detail::batch_rows(obs);
  if (rows < 1)
    throw InvalidArgument("RemotePolicy: expected a batch of observations, got no array or list in it");
  detail::Reply r;
  try {
    if (!greeted_) hello();
    r = conn_->client.request(MessageType::kInfer, Body(obs), rows);
  } catch (const Unavailable&) {
    greeted_ = false;
    throw;
  }
  const env::Value* a = r.body.find("actions");
  if (!a || !a->is_array())
    throw InvalidArgument("RemotePolicy: the reply has no \"actions\" array (got " +
                          (a ? env::describe(*a) : std::string("no such key")) + ")");
  env::Array actions = a->as_array();
  if (actions.ndim() < 1 || actions.dim(0) != rows)
    throw InvalidArgument("RemotePolicy: expected actions with a leading dimension of " +
                          std::to_string(rows) + ", got " + env::describe(actions));
  if (actions.dtype() != env::DType::kFloat32) actions = actions.astype(env::DType::kFloat32);
  return first_actions(actions, options_.replan);
}

}  // namespace a2w::bridge
