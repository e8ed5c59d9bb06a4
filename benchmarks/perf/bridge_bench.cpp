#include "a2w/bench/bridge_bench.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>
#include <thread>
#include <vector>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "a2w/bridge/codec.h"
#include "a2w/bridge/env_server.h"
#include "a2w/bridge/policy_server.h"
#include "a2w/bridge/protocol.h"
#include "a2w/bridge/python.h"
#include "a2w/bridge/remote_env.h"
#include "a2w/bridge/remote_policy.h"
#include "a2w/env/json.h"
#include "a2w/env/rng.h"

namespace a2w::bench {
namespace {

using Clock = std::chrono::steady_clock;

std::string cpu_model() {
  std::ifstream f("/proc/cpuinfo");
  for (std::string line; std::getline(f, line);)
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown";
}

Latency summarize(std::vector<double> us) {
  Latency l;
  if (us.empty()) return l;
  std::sort(us.begin(), us.end());
  l.samples = static_cast<std::int64_t>(us.size());
  l.p50_us = us[us.size() / 2];
  l.p99_us = us[std::min(us.size() - 1, static_cast<std::size_t>(static_cast<double>(us.size()) * 0.99))];
  double sum = 0;
  for (double v : us) sum += v;
  l.mean_us = sum / static_cast<double>(us.size());
  return l;
}

// Times `n` calls of `f`, appending each in microseconds.
void time_calls(const std::function<void()>& f, int n, std::vector<double>& out) {
  f();  // warm
  for (int i = 0; i < n; ++i) {
    const auto t0 = Clock::now();
    f();
    out.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
}

// ---- the payloads ----

env::Dict state_obs() {
  return env::Dict{{"ee_pos", env::Array::from({0.1f, 0.2f, 0.3f})},
                   {"ee_ori", env::Array::from({3.1f, 0.0f, 0.1f})},
                   {"gripper_states", env::Array::from({0.04f, 0.04f})},
                   {"joint_states", env::Array(env::DType::kFloat32, {7})},
                   {"instruction", "lift the red cube"}};
}

env::Dict camera_obs() {
  env::Dict obs = state_obs();
  env::Rng rng(7);
  for (const char* cam : {"agentview_rgb", "eye_in_hand_rgb"}) {
    env::Array img(env::DType::kUInt8, {224, 224, 3});
    for (auto& p : img.span<std::uint8_t>()) p = static_cast<std::uint8_t>(rng.next_u64());
    obs[cam] = img;
  }
  return obs;
}

// An env whose observation is a fixed state-only observation: the bridge's cost, not physics.
class FixedStateEnv final : public env::Env {
 public:
  FixedStateEnv() {
    spec_.id = "bench/FixedState-v0";
    spec_.observation_space = env::dict({{"ee_pos", env::box(-10, 10, {3})},
                                         {"ee_ori", env::box(-10, 10, {3})},
                                         {"gripper_states", env::box(0, 1, {2})},
                                         {"joint_states", env::box(-10, 10, {7})},
                                         {"instruction", env::text(128)}});
    spec_.action_space = env::box(-1, 1, {7});
    spec_.control_hz = 20;
  }
  const env::EnvSpec& spec() const override { return spec_; }
  env::ResetResult reset(std::optional<std::uint64_t>, const env::Dict&) override {
    return {state_obs(), {}};
  }
  env::StepResult step(const env::Array&) override {
    env::StepResult s;
    s.obs = state_obs();
    s.reward = 0.5;
    s.info = env::Dict{{"success", false}};
    return s;
  }

 private:
  env::EnvSpec spec_;
};

class ChunkPolicy final : public env::Policy {
 public:
  std::string name() const override { return "zeros(10, 7)"; }
  env::Array act(const env::Dict& obs) override {
    std::int64_t b = 1;
    for (const auto& [k, v] : obs)
      if (v.is_array()) {
        b = v.as_array().dim(0);
        break;
      }
    return env::Array(env::DType::kFloat32, {b, 10, 7});
  }
};

// ---- raw ZeroMQ: the same bytes, nothing else ----

std::string header_bytes(bridge::MessageType t, std::optional<std::int64_t> batch = std::nullopt) {
  bridge::Header h;
  h.type = t;
  h.id = 1;
  h.batch = batch;
  h.deadline_ms = 30000;
  return bridge::encode_header(h);
}

class RawEcho {
 public:
  RawEcho(std::string reply_header, std::string reply_body)
      : ctx_(1),
        sock_(ctx_, zmq::socket_type::router),
        header_(std::move(reply_header)),
        body_(std::move(reply_body)) {
    sock_.set(zmq::sockopt::linger, 0);
    sock_.bind("tcp://127.0.0.1:*");
    endpoint_ = sock_.get(zmq::sockopt::last_endpoint);
    thread_ = std::thread([this] { loop(); });
  }
  ~RawEcho() {
    stop_ = true;
    thread_.join();
  }
  const std::string& endpoint() const { return endpoint_; }

 private:
  void loop() {
    zmq::pollitem_t item{sock_.handle(), 0, ZMQ_POLLIN, 0};
    while (!stop_) {
      zmq::poll(&item, 1, std::chrono::milliseconds(50));
      if (!(item.revents & ZMQ_POLLIN)) continue;
      std::vector<zmq::message_t> frames;
      (void)zmq::recv_multipart(sock_, std::back_inserter(frames), zmq::recv_flags::dontwait);
      if (frames.size() != 3) continue;
      sock_.send(frames[0], zmq::send_flags::sndmore);
      sock_.send(zmq::message_t(header_.data(), header_.size()), zmq::send_flags::sndmore);
      sock_.send(zmq::message_t(body_.data(), body_.size()), zmq::send_flags::none);
    }
  }
  zmq::context_t ctx_;
  zmq::socket_t sock_;
  std::string header_, body_, endpoint_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

class RawClient {
 public:
  RawClient(const std::string& endpoint, std::string header, std::string body)
      : ctx_(1), sock_(ctx_, zmq::socket_type::dealer), header_(std::move(header)), body_(std::move(body)) {
    sock_.set(zmq::sockopt::linger, 0);
    sock_.connect(endpoint);
  }
  // The leanest ping-pong: the pre-encoded bytes go out without a copy (the strings outlive every send).
  void round_trip() {
    sock_.send(zmq::message_t(header_.data(), header_.size(), [](void*, void*) {}), zmq::send_flags::sndmore);
    sock_.send(zmq::message_t(body_.data(), body_.size(), [](void*, void*) {}), zmq::send_flags::none);
    std::vector<zmq::message_t> frames;
    (void)zmq::recv_multipart(sock_, std::back_inserter(frames));
  }

 private:
  zmq::context_t ctx_;
  zmq::socket_t sock_;
  std::string header_, body_;
};

// ---- Python ----

std::string script_path() {
  // This file's folder holds bridge_bench.py.
  return (std::filesystem::path(__FILE__).parent_path() / "bridge_bench.py").string();
}

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

Latency latency_from(const env::Value& v) {
  Latency l;
  const auto& d = v.as_dict();
  l.p50_us = d.at("p50_us").as_double();
  l.p99_us = d.at("p99_us").as_double();
  l.mean_us = d.at("mean_us").as_double();
  l.samples = d.at("samples").as_int();
  return l;
}

}  // namespace

BridgeBenchResult bench_bridge(const BridgeBenchOptions& o) {
  BridgeBenchResult r;
  r.cpu = cpu_model();
  auto say = [&](const std::string& s) {
    if (o.progress) std::cerr << "bench bridge: " << s << std::endl;
  };

  // State-only step: RemoteEnv on an EnvServer vs raw ping-pong of the same bytes.
  {
    bridge::EnvServerOptions so;
    so.bind = "tcp://127.0.0.1:0";
    bridge::EnvServer server(bridge::EnvFactory::of_env([] { return std::make_unique<FixedStateEnv>(); }),
                             so);
    server.start();
    bridge::RemoteEnv remote({.endpoint = server.endpoint()});
    remote.reset(std::uint64_t{0});
    const env::Array action(env::DType::kFloat32, {7});
    FixedStateEnv stub;
    const auto s = stub.step(action);
    const std::string request = bridge::encode(bridge::Body{{"action", action}});
    const std::string reply = bridge::encode(bridge::Body{{"obs", s.obs},
                                                          {"reward", s.reward},
                                                          {"terminated", s.terminated},
                                                          {"truncated", s.truncated},
                                                          {"info", s.info}});
    r.state_request_bytes = static_cast<std::int64_t>(request.size());
    r.state_reply_bytes = static_cast<std::int64_t>(reply.size());
    RawEcho echo(header_bytes(bridge::MessageType::kStep), reply);
    RawClient raw(echo.endpoint(), header_bytes(bridge::MessageType::kStep), request);
    std::vector<double> a, b;
    for (int round = 0; round < o.rounds; ++round) {
      time_calls([&] { raw.round_trip(); }, o.count, a);
      time_calls([&] { (void)remote.step(action); }, o.count, b);
    }
    r.raw_state = summarize(a);
    r.bridge_state = summarize(b);
    say("state step: bridge p50 " + std::to_string(static_cast<int>(r.bridge_state.p50_us)) + " us, raw " +
        std::to_string(static_cast<int>(r.raw_state.p50_us)) + " us");
  }

  // Two cameras: RemotePolicy on a PolicyServer vs raw ping-pong of the same bytes; then the Python client.
  bridge::PolicyServerOptions po;
  po.bind = "tcp://127.0.0.1:0";
  bridge::PolicyServer server(std::make_shared<ChunkPolicy>(), po);
  server.start();
  {
    bridge::RemotePolicy remote({.endpoint = server.endpoint()});
    env::Dict batch;
    for (const auto& [k, v] : camera_obs()) {
      if (v.is_array()) {
        env::Shape s = v.as_array().shape();
        s.insert(s.begin(), 1);
        batch[k] = v.as_array().reshape(s);
      } else {
        batch[k] = env::List{v};
      }
    }
    const std::string request = bridge::encode(bridge::Body(batch));
    const std::string reply = bridge::encode(
        bridge::Body{{"actions", env::Array(env::DType::kFloat32, {1, 10, 7})},
                     {"server_timing", env::Dict{{"infer_ms", 0.001}, {"batch_rows", std::int64_t{1}}}}});
    r.camera_request_bytes = static_cast<std::int64_t>(request.size());
    r.camera_reply_bytes = static_cast<std::int64_t>(reply.size());
    RawEcho echo(header_bytes(bridge::MessageType::kInfer), reply);
    RawClient raw(echo.endpoint(), header_bytes(bridge::MessageType::kInfer, 1), request);
    std::vector<double> a, b;
    for (int round = 0; round < o.rounds; ++round) {
      time_calls([&] { raw.round_trip(); }, o.count, a);
      time_calls([&] { (void)remote.act(batch); }, o.count, b);
    }
    r.raw_camera = summarize(a);
    r.bridge_camera = summarize(b);
    say("2 cameras: bridge p50 " + std::to_string(static_cast<int>(r.bridge_camera.p50_us)) + " us, raw " +
        std::to_string(static_cast<int>(r.raw_camera.p50_us)) + " us");
  }

  if (o.python) {
    const std::string cmd = "PYTHONPATH=" + shell_quote(bridge::python_package_dir()) + " " +
                            shell_quote(o.python_exe) + " " + shell_quote(script_path()) + " --endpoint " +
                            shell_quote(server.endpoint()) + " --count " + std::to_string(o.count) +
                            " --rounds " + std::to_string(o.rounds) + " 2>&1";
    say("python: " + cmd);
    std::string out, last_json;
    if (FILE* p = popen(cmd.c_str(), "r")) {
      char buf[4096];
      while (std::fgets(buf, sizeof buf, p)) {
        out += buf;
        if (buf[0] == '{') last_json = buf;
      }
      const int status = pclose(p);
      if (status != 0 || last_json.empty()) {
        r.python_error = "the Python benchmark failed (exit status " + std::to_string(status) +
                         "): " + out.substr(out.size() > 2000 ? out.size() - 2000 : 0);
      } else {
        try {
          const env::Value v = env::parse_json(last_json);
          r.python_bridge = latency_from(v.as_dict().at("bridge"));
          r.python_websocket = latency_from(v.as_dict().at("websocket"));
          r.python_ran = true;
        } catch (const std::exception& e) {
          r.python_error = std::string("could not read the Python benchmark's output: ") + e.what();
        }
      }
    } else {
      r.python_error = "could not start " + o.python_exe;
    }
    if (!r.python_error.empty()) say(r.python_error);
  }
  server.stop();
  return r;
}

namespace {

env::Dict latency_dict(const Latency& l) {
  return env::Dict{
      {"p50_us", l.p50_us}, {"p99_us", l.p99_us}, {"mean_us", l.mean_us}, {"samples", l.samples}};
}

}  // namespace

env::Dict BridgeBenchResult::to_dict() const {
  env::Dict d{{"cpu", cpu},
              {"state_request_bytes", state_request_bytes},
              {"state_reply_bytes", state_reply_bytes},
              {"camera_request_bytes", camera_request_bytes},
              {"camera_reply_bytes", camera_reply_bytes},
              {"raw_state", latency_dict(raw_state)},
              {"bridge_state", latency_dict(bridge_state)},
              {"state_overhead_us", state_overhead_us()},
              {"raw_camera", latency_dict(raw_camera)},
              {"bridge_camera", latency_dict(bridge_camera)},
              {"camera_overhead_us", camera_overhead_us()},
              {"python_ran", python_ran}};
  if (python_ran) {
    d["python_bridge"] = latency_dict(python_bridge);
    d["python_websocket"] = latency_dict(python_websocket);
    d["python_speedup"] = python_speedup();
  }
  if (!python_error.empty()) d["python_error"] = python_error;
  return d;
}

std::string BridgeBenchResult::to_text() const {
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(0);
  auto row = [&](const char* what, const Latency& l) {
    s << "  " << what << "p50 " << l.p50_us << " us   p99 " << l.p99_us << " us   (" << l.samples
      << " round trips)\n";
  };
  s << "CPU " << cpu << "; loopback TCP, client and server in separate threads\n";
  s << "state step (" << state_request_bytes << " B request, " << state_reply_bytes << " B reply)\n";
  row("bridge (RemoteEnv -> EnvServer)   ", bridge_state);
  row("raw ZeroMQ, same bytes            ", raw_state);
  s << "  overhead over raw p50 " << state_overhead_us() << " us\n";
  s << "2 cameras 224x224 + state (" << camera_request_bytes << " B request, " << camera_reply_bytes
    << " B reply: (10, 7) actions)\n";
  row("bridge (RemotePolicy -> PolicyServer)", bridge_camera);
  row("raw ZeroMQ, same bytes               ", raw_camera);
  s << "  overhead over raw p50 " << camera_overhead_us() << " us (target <= 80); p50 "
    << bridge_camera.p50_us << " us (target <= 200); p99 " << bridge_camera.p99_us
    << " us (target <= 1000)\n";
  if (python_ran) {
    s << "Python, same 2-camera observation\n";
    row("a2w_bridge client -> PolicyServer     ", python_bridge);
    row("OpenPI-style websocket (Python both ends)", python_websocket);
    s.precision(1);
    s << "  the bridge client is " << python_speedup() << "x faster (target >= 5x)\n";
  } else if (!python_error.empty()) {
    s << "Python: not measured: " << python_error << "\n";
  }
  return s.str();
}

}  // namespace a2w::bench
