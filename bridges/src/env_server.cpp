#include "a2w/bridge/env_server.h"

#include <condition_variable>
#include <deque>
#include <list>
#include <map>
#include <mutex>
#include <thread>

#include "a2w/bridge/codec.h"
#include "a2w/bridge/security.h"
#include "a2w/bridge/spec.h"
#include "a2w/env/registry.h"
#include "router.h"
#include "wire.h"

namespace a2w::bridge {

namespace {

using detail::Clock;
using detail::Incoming;
using detail::Peer;
using env::Array;
using env::Dict;
using env::Value;

// Gymnasium clients send float64 arrays for float32 boxes as often as not: convert between float types
// (and between integer types); anything else is the env's to refuse.
Array as_action(const Value& v, const env::Space& space) {
  if (!v.is_array()) throw InvalidArgument("step: action: expected an ndarray, got " + env::describe(v));
  Array a = v.as_array();
  if (const auto* box = dynamic_cast<const env::Box*>(&space); box && a.dtype() != box->dtype()) {
    auto is_float = [](env::DType d) { return d == env::DType::kFloat32 || d == env::DType::kFloat64; };
    if (is_float(a.dtype()) == is_float(box->dtype()) && a.dtype() != env::DType::kBool)
      a = a.astype(box->dtype());
  }
  return a;
}

std::optional<std::uint64_t> seed_of(const Body& b) {
  const Value* s = b.find("seed");
  if (!s || s->is_none()) return std::nullopt;
  // Seeds are u64; those >= 2^63 travel as the int64 of the same bits (docs/bridge-protocol.md, §6).
  if (!s->is_int())
    throw InvalidArgument("reset: seed: expected an integer or nil, got " + env::describe(*s));
  return static_cast<std::uint64_t>(s->as_int());
}

Dict options_of(const Body& b) {
  const Value* o = b.find("options");
  if (!o || o->is_none()) return {};
  if (!o->is_dict()) throw InvalidArgument("reset: options: expected a map, got " + env::describe(*o));
  return o->as_dict();
}

std::vector<bool> bools_of(const Value& v, int n, const char* what) {
  std::vector<bool> out;
  if (v.is_array()) {
    for (std::int64_t i = 0; i < v.as_array().size(); ++i) out.push_back(v.as_array().at(i) != 0);
  } else if (v.is_list()) {
    for (const auto& e : v.as_list()) out.push_back(e.as_bool());
  }
  if (static_cast<int>(out.size()) != n)
    throw InvalidArgument(std::string(what) + ": expected " + std::to_string(n) + " bools, got " +
                          env::describe(v));
  return out;
}

std::vector<std::uint64_t> seeds_of(const Value& v, int n) {
  std::vector<std::uint64_t> out;
  if (v.is_array() &&
      (v.as_array().dtype() == env::DType::kInt64 || v.as_array().dtype() == env::DType::kInt32)) {
    for (std::int64_t i = 0; i < v.as_array().size(); ++i)
      out.push_back(static_cast<std::uint64_t>(v.as_array().at_int(i)));
  } else if (v.is_list()) {
    for (const auto& e : v.as_list()) {
      if (!e.is_int()) throw InvalidArgument("reset: seeds: expected integers, got " + env::describe(e));
      out.push_back(static_cast<std::uint64_t>(e.as_int()));
    }
  }
  if (static_cast<int>(out.size()) != n)
    throw InvalidArgument("reset: seeds: expected " + std::to_string(n) + " integers, got " +
                          env::describe(v));
  return out;
}

env::List list_of(const std::vector<Dict>& dicts) {
  env::List l;
  l.reserve(dicts.size());
  for (const auto& d : dicts) l.emplace_back(d);
  return l;
}

// One client's env and the thread that owns it.
struct Session {
  std::uint64_t number = 0;
  Peer peer;
  Clock::time_point last_seen;  // I/O thread
  std::thread thread;
  std::mutex mu;
  std::condition_variable cv;
  std::deque<Incoming> queue;
  bool closing = false;
  std::atomic<bool> finished{false};
};

}  // namespace

EnvFactory EnvFactory::of_env(std::function<env::EnvPtr()> make) {
  EnvFactory f;
  f.single = std::move(make);
  return f;
}

EnvFactory EnvFactory::of_vector(std::function<std::unique_ptr<env::VectorEnv>()> make) {
  EnvFactory f;
  f.vector = std::move(make);
  return f;
}

EnvFactory EnvFactory::registry(const std::string& id, env::Dict options, int num_envs, int num_threads,
                                env::AutoresetMode autoreset) {
  (void)a2w::registration(id);  // NotFound with close matches, now rather than at the first hello
  if (num_envs < 1) throw InvalidArgument("num_envs: expected >= 1, got " + std::to_string(num_envs));
  if (num_envs == 1) return of_env([id, options] { return a2w::make(id, options); });
  return of_vector([=] {
    return std::make_unique<env::ThreadedVectorEnv>([&](int) { return a2w::make(id, options); },
                                                    env::VectorEnvOptions{num_envs, num_threads, autoreset});
  });
}

struct EnvServer::Impl {
  EnvFactory factory;
  EnvServerOptions options;
  std::unique_ptr<detail::Router> router;
  std::thread io;
  std::map<std::string, std::shared_ptr<Session>> sessions;  // I/O thread only
  std::list<std::shared_ptr<Session>> closing;               // I/O thread only: waiting to be joined
  std::uint64_t next_session = 1;
  std::atomic<std::uint64_t> open{0}, opened{0}, timed_out{0};
  std::mutex mu;
  std::condition_variable done_cv;
  bool started = false, stopped = false, done = false;
  std::string endpoint;

  DecodeLimits limits() const {
    DecodeLimits l;
    l.max_message_bytes = options.max_message_bytes;
    return l;
  }

  // ---- session threads ----

  void session_main(const std::shared_ptr<Session>& s) {
    detail::Router& r = *router;
    env::EnvPtr single;
    std::unique_ptr<env::VectorEnv> vec;
    ServedSpec spec;
    std::optional<Incoming> hello;
    {
      std::lock_guard lock(s->mu);
      hello = std::move(s->queue.front());
      s->queue.pop_front();
    }
    try {
      if (factory.single) {
        single = factory.single();
        spec.env = single->spec();
      } else {
        vec = factory.vector();
        spec.env = vec->single_spec();
        spec.num_envs = vec->num_envs();
        spec.vector_env = true;
      }
      r.post(s->peer, MessageType::kHello, hello->header.id,
             wire::encode_message(
                 Body{{"protocol", "a2w-bridge"},
                      {"v", kProtocolVersion.str()},
                      {"role", "env"},
                      {"server", std::string("a2w/") + A2W_VERSION},
                      {"status", "ready"},
                      {"session", static_cast<std::int64_t>(s->number)},
                      {"session_timeout_s", options.session_timeout_s},
                      {"spec", spec_to_wire(spec)},
                      {"metadata", spec.env.metadata},
                      {"max_message_bytes", static_cast<std::int64_t>(options.max_message_bytes)}}));
    } catch (const std::exception& e) {
      r.post_error(s->peer, hello->header.id, ErrorCode::kEnvError,
                   std::string("could not build the env: ") + e.what());
      s->finished = true;
      return;
    }
    const env::Space& action_space = *spec.env.action_space;
    msgpack::sbuffer scratch;  // reply encoding buffer, kept: camera observations are large
    bool open_session = true;
    while (open_session) {
      Incoming in;
      {
        std::unique_lock lock(s->mu);
        s->cv.wait(lock, [&] { return s->closing || !s->queue.empty(); });
        if (s->queue.empty()) break;  // closing
        in = std::move(s->queue.front());
        s->queue.pop_front();
      }
      const std::uint64_t id = in.header.id;
      if (Clock::now() > in.deadline) {
        r.post_error(s->peer, id, ErrorCode::kDeadlineExceeded,
                     "the request's deadline passed while it waited");
        continue;
      }
      Body body;
      try {
        body = decode(wire::view(*in.body), limits(), in.body);
      } catch (const InvalidArgument& e) {
        r.post_error(s->peer, id, ErrorCode::kBadMessage, e.what());
        continue;
      }
      try {
        Body reply;
        switch (in.header.type) {
          case MessageType::kHello:  // a second hello: the same answer, the session goes on
            reply = Body{{"protocol", "a2w-bridge"},   {"role", "env"},
                         {"status", "ready"},          {"session", static_cast<std::int64_t>(s->number)},
                         {"spec", spec_to_wire(spec)}, {"metadata", spec.env.metadata}};
            break;
          case MessageType::kReset:
            if (single) {
              auto res = single->reset(seed_of(body), options_of(body));
              reply = Body{{"obs", std::move(res.obs)}, {"info", std::move(res.info)}};
            } else if (const Value* m = body.find("mask")) {
              const auto mask = bools_of(*m, vec->num_envs(), "reset: mask");
              std::vector<std::uint64_t> seeds(mask.size(), 0);
              if (const Value* sd = body.find("seeds")) seeds = seeds_of(*sd, vec->num_envs());
              const auto& res = vec->reset(mask, seeds);
              reply = Body{{"obs", res.obs}, {"infos", list_of(res.infos)}};
            } else {
              const auto& res = vec->reset(seed_of(body), options_of(body));
              reply = Body{{"obs", res.obs}, {"infos", list_of(res.infos)}};
            }
            break;
          case MessageType::kStep: {
            const Value* a = body.find("action");
            if (!a) throw InvalidArgument("step: expected key \"action\", the body has none");
            if (single) {
              auto res = single->step(as_action(*a, action_space));
              reply = Body{{"obs", std::move(res.obs)},
                           {"reward", res.reward},
                           {"terminated", res.terminated},
                           {"truncated", res.truncated},
                           {"info", std::move(res.info)}};
            } else {
              const Value* act = body.find("active");
              const auto& res = act ? vec->step(as_action(*a, action_space),
                                                bools_of(*act, vec->num_envs(), "step: active"))
                                    : vec->step(as_action(*a, action_space));
              reply = Body{{"obs", res.obs},
                           {"reward", res.reward},
                           {"terminated", res.terminated},
                           {"truncated", res.truncated},
                           {"infos", list_of(res.infos)}};
              if (vec->autoreset_mode() == env::AutoresetMode::kSameStep) {
                env::List fo, fi;
                for (std::size_t i = 0; i < res.final_obs.size(); ++i) {
                  fo.push_back(res.final_obs[i] ? Value(*res.final_obs[i]) : Value());
                  fi.push_back(res.final_info[i] ? Value(*res.final_info[i]) : Value());
                }
                reply.set("final_obs", fo);
                reply.set("final_info", fi);
              }
            }
            break;
          }
          case MessageType::kClose:
            open_session = false;
            break;
          default:
            throw InvalidArgument("unreachable");
        }
        r.post(s->peer, in.header.type, id, wire::encode_message(reply, scratch));
      } catch (const InvalidArgument& e) {
        r.post_error(s->peer, id, ErrorCode::kBadRequest, e.what());
      } catch (const Error& e) {
        r.post_error(s->peer, id, ErrorCode::kEnvError, e.what());
      } catch (const std::exception& e) {
        r.post_error(s->peer, id, ErrorCode::kInternal, e.what());
      }
    }
    try {
      if (single) single->close();
      if (vec) vec->close();
    } catch (const std::exception&) {
      // The session is over either way.
    }
    single.reset();
    vec.reset();
    s->finished = true;
  }

  // ---- I/O thread ----

  void retire(const std::string& peer_id) {
    auto it = sessions.find(peer_id);
    if (it == sessions.end()) return;
    {
      std::lock_guard lock(it->second->mu);
      it->second->closing = true;
    }
    it->second->cv.notify_all();
    closing.push_back(it->second);
    sessions.erase(it);
    open = sessions.size();
  }

  void reap() {
    for (auto it = closing.begin(); it != closing.end();) {
      if ((*it)->finished) {
        if ((*it)->thread.joinable()) (*it)->thread.join();
        it = closing.erase(it);
      } else {
        ++it;
      }
    }
  }

  void on_message(Incoming&& in) {
    detail::Router& r = *router;
    const MessageType type = in.header.type;
    if (type == MessageType::kInfer)
      return r.send_error(
          in.peer, in.header.id, ErrorCode::kUnknownType,
          "this is an env server: it answers hello, reset, step, close and ping; send infer to a "
          "policy server");
    auto it = sessions.find(in.peer.id);
    if (it == sessions.end()) {
      if (type != MessageType::kHello)
        return r.send_error(in.peer, in.header.id, ErrorCode::kNoSession,
                            std::string(to_string(type)) +
                                " without a session: say hello first (a session ends "
                                "with close or after " +
                                std::to_string(static_cast<int>(options.session_timeout_s)) +
                                " s of silence)");
      if (static_cast<int>(sessions.size()) >= options.max_sessions)
        return r.send_error(in.peer, in.header.id, ErrorCode::kTooManySessions,
                            "the env server has " + std::to_string(options.max_sessions) +
                                " sessions open, its maximum; retry later");
      // The hello's body may only say who is calling; a role other than "env" is a client at the wrong door.
      const Body body = decode(wire::view(*in.body), limits());
      if (const Value* role = body.find("role"); role && !(role->is_string() && role->as_string() == "env"))
        return r.send_error(in.peer, in.header.id, ErrorCode::kBadRequest,
                            "hello: this server serves environments; the client asked for role " +
                                (role->is_string() ? "'" + role->as_string() + "'" : env::describe(*role)));
      auto s = std::make_shared<Session>();
      s->number = next_session++;
      s->peer = in.peer;
      s->last_seen = in.received;
      s->queue.push_back(std::move(in));
      s->thread = std::thread([this, s] { session_main(s); });
      sessions.emplace(s->peer.id, s);
      open = sessions.size();
      ++opened;
      return;
    }
    Session& s = *it->second;
    s.last_seen = in.received;
    {
      std::lock_guard lock(s.mu);
      if (static_cast<int>(s.queue.size()) >= options.max_queued)
        return r.send_error(in.peer, in.header.id, ErrorCode::kBadRequest,
                            "more than " + std::to_string(options.max_queued) +
                                " requests waiting in this session; wait for replies before sending more");
      s.queue.push_back(std::move(in));
    }
    s.cv.notify_one();
    if (type == MessageType::kClose) retire(it->first);
  }

  void on_tick() {
    const auto now = Clock::now();
    const auto timeout = std::chrono::duration<double>(options.session_timeout_s);
    std::vector<std::string> expired;
    for (const auto& [peer, s] : sessions)
      if (now - s->last_seen > timeout || s->finished) expired.push_back(peer);
    for (const auto& p : expired) {
      if (!sessions.at(p)->finished) ++timed_out;
      retire(p);
    }
    reap();
  }
};

EnvServer::EnvServer(EnvFactory factory, EnvServerOptions options) : impl_(std::make_unique<Impl>()) {
  if (!factory.single && !factory.vector)
    throw InvalidArgument("EnvServer: expected an env factory, got an empty one");
  impl_->factory = std::move(factory);
  impl_->options = std::move(options);
}

EnvServer::~EnvServer() {
  stop();
}

void EnvServer::start() {
  Impl& m = *impl_;
  std::lock_guard lock(m.mu);
  if (m.started) throw Error("EnvServer: start() called twice");
  detail::RouterOptions ro;
  ro.bind = m.options.bind;
  ro.max_message_bytes = m.options.max_message_bytes;
  if (!m.options.curve_keys_dir.empty()) ro.keys = load_server_keys(m.options.curve_keys_dir);
  m.router = std::make_unique<detail::Router>(ro);
  m.endpoint = m.router->endpoint();
  m.started = true;
  m.io = std::thread([&m] {
    m.router->run([&m](Incoming&& in) { m.on_message(std::move(in)); }, [&m] { m.on_tick(); },
                  std::chrono::milliseconds(100));
    // Shutting down: end every session and wait for their envs to close.
    std::vector<std::string> all;
    for (const auto& [p, s] : m.sessions) all.push_back(p);
    for (const auto& p : all) m.retire(p);
    for (auto& s : m.closing)
      if (s->thread.joinable()) s->thread.join();
    m.closing.clear();
  });
}

void EnvServer::stop() {
  Impl& m = *impl_;
  {
    std::lock_guard lock(m.mu);
    if (m.stopped) return;
    m.stopped = true;
  }
  if (m.router) m.router->stop();
  if (m.io.joinable()) m.io.join();
  std::lock_guard lock(m.mu);
  m.done = true;
  m.done_cv.notify_all();
}

void EnvServer::wait() {
  std::unique_lock lock(impl_->mu);
  impl_->done_cv.wait(lock, [&] { return impl_->done; });
}

std::string EnvServer::endpoint() const {
  return impl_->endpoint;
}

EnvServer::Stats EnvServer::stats() const {
  Stats s;
  if (impl_->router) {
    s.requests = impl_->router->counters().received;
    s.malformed = impl_->router->counters().malformed;
  }
  s.sessions = impl_->open;
  s.sessions_opened = impl_->opened;
  s.sessions_timed_out = impl_->timed_out;
  return s;
}

}  // namespace a2w::bridge
