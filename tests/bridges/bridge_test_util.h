#pragma once
// Helpers of the bridge suite: small policies and envs, a raw ZeroMQ peer that sends exactly the bytes a
// test wants, and child processes (Python peers, the a2w command) on loopback with free ports.

#include <doctest/doctest.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <vector>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "a2w/bridge/codec.h"
#include "a2w/bridge/protocol.h"
#include "a2w/env/env.h"
#include "a2w/env/policy.h"
#include "a2w/env/space.h"

extern char** environ;

namespace a2w::test {

// Returns zeros: [B, horizon, 7] chunks (horizon > 0) or [B, 7]; counts its calls and rows.
class ZeroPolicy final : public env::Policy {
 public:
  explicit ZeroPolicy(int horizon = 0) : horizon_(horizon) {}
  std::string name() const override { return "zero"; }
  env::Array act(const env::Dict& obs) override {
    std::int64_t b = -1;
    for (const auto& [k, v] : obs) {
      if (v.is_array()) b = v.as_array().dim(0);
      if (v.is_list()) b = static_cast<std::int64_t>(v.as_list().size());
      if (b >= 0) break;
    }
    if (b < 0) throw InvalidArgument("ZeroPolicy: no batch");
    ++calls;
    rows += b;
    if (obs.count("boom")) throw Error("boom requested");
    return horizon_ > 0 ? env::Array(env::DType::kFloat32, {b, horizon_, 7})
                        : env::Array(env::DType::kFloat32, {b, 7});
  }
  std::atomic<int> calls{0};
  std::atomic<std::int64_t> rows{0};

 private:
  int horizon_;
};

// One float observation "x" [1], one action [1]; reset gives zeros, step nothing.
class ZeroEnv final : public env::Env {
 public:
  const env::EnvSpec& spec() const override { return spec_; }
  env::ResetResult reset(std::optional<std::uint64_t>, const env::Dict&) override {
    return {env::Dict{{"x", env::Array(env::DType::kFloat32, {1})}}, {}};
  }
  env::StepResult step(const env::Array&) override { return {}; }

 private:
  env::EnvSpec spec_{"test/Zero-v0", env::dict({{"x", env::box(0, 1, {1})}}), env::box(-1, 1, {1})};
};

inline std::string python() {
  return "/usr/bin/python3";
}
inline std::string source(const std::string& rel) {
  return std::string(A2W_SOURCE_DIR) + "/" + rel;
}
inline std::string a2w_binary() {
  return std::string(A2W_BINARY_DIR) + "/a2w";
}

// A child process with its stdout and stderr in one pipe, killed (SIGKILL) when the object goes.
class Child {
 public:
  explicit Child(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {}) {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    std::vector<std::string> envs;
    for (char** e = environ; *e; ++e) {
      const std::string s(*e);
      if (!env.count(s.substr(0, s.find('=')))) envs.push_back(s);
    }
    for (const auto& [k, v] : env) envs.push_back(k + "=" + v);
    std::vector<char*> a, ev;
    for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
    a.push_back(nullptr);
    for (const auto& s : envs) ev.push_back(const_cast<char*>(s.c_str()));
    ev.push_back(nullptr);
    const int rc = posix_spawn(&pid_, argv[0].c_str(), &fa, nullptr, a.data(), ev.data());
    posix_spawn_file_actions_destroy(&fa);
    ::close(fds[1]);
    REQUIRE_MESSAGE(rc == 0, "could not start " << argv[0]);
    fd_ = fds[0];
    ::fcntl(fd_, F_SETFL, O_NONBLOCK);
  }
  ~Child() {
    kill(SIGKILL);
    wait();
    if (fd_ >= 0) ::close(fd_);
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  // Reads output until a line containing `needle` appears (returns that line), or the child exits or
  // `seconds` pass (returns nullopt). A safety net against hangs, not a timing assertion.
  std::optional<std::string> wait_for_line(const std::string& needle, double seconds = 60) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (std::chrono::steady_clock::now() < until) {
      for (std::size_t nl; (nl = pending_.find('\n')) != std::string::npos;) {
        std::string line = pending_.substr(0, nl);
        pending_.erase(0, nl + 1);
        if (line.find(needle) != std::string::npos) return line;
      }
      if (!read_some(100)) break;
    }
    return std::nullopt;
  }
  // Everything printed until the child exits (or `seconds` pass); returns the exit code (-1: killed or
  // still running).
  int finish(double seconds = 60) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (std::chrono::steady_clock::now() < until && read_some(100)) {
    }
    if (exited_ < 0) {
      kill(SIGKILL);
    }
    return wait();
  }
  const std::string& output() const { return all_; }
  void kill(int sig) {
    if (pid_ > 0 && exited_ < 0) ::kill(pid_, sig);
  }
  int wait() {
    if (pid_ > 0 && exited_ < 0) {
      int status = 0;
      ::waitpid(pid_, &status, 0);
      exited_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    }
    return exited_ > 127 ? -1 : exited_;
  }

 private:
  // false at end of output.
  bool read_some(int timeout_ms) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return true;
    char buf[4096];
    const auto n = ::read(fd_, buf, sizeof buf);
    if (n <= 0) return false;
    pending_.append(buf, static_cast<std::size_t>(n));
    all_.append(buf, static_cast<std::size_t>(n));
    return true;
  }

  pid_t pid_ = -1;
  int fd_ = -1;
  int exited_ = -1;
  std::string pending_, all_;
};

inline std::map<std::string, std::string> python_env() {
  return {{"PYTHONPATH", source("bridges/python") + ":" + source("tests/bridges")},
          {"PYTHONUNBUFFERED", "1"}};
}

// The word after `key` in `line` ("listening on tcp://127.0.0.1:4321" -> "tcp://127.0.0.1:4321").
inline std::string word_after(const std::string& line, const std::string& key) {
  const auto p = line.find(key);
  if (p == std::string::npos) return {};
  const auto start = p + key.size();
  const auto end = line.find_first_of(" \t\r\n)", start);
  return line.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

// A DEALER that sends raw frames and reads raw replies, to speak to a server exactly as a test wants.
class RawPeer {
 public:
  explicit RawPeer(const std::string& endpoint) : ctx_(1), s_(ctx_, zmq::socket_type::dealer) {
    s_.set(zmq::sockopt::linger, 0);
    s_.connect(endpoint);
  }
  void send(const std::vector<std::string>& frames) {
    for (std::size_t i = 0; i < frames.size(); ++i)
      s_.send(zmq::buffer(frames[i]),
              i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
  }
  // [header, body] of the next reply, or nullopt after `seconds`.
  std::optional<std::pair<bridge::Header, bridge::Body>> receive(double seconds = 10) {
    zmq::pollitem_t item{s_.handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, std::chrono::milliseconds(static_cast<int>(seconds * 1000)));
    if (!(item.revents & ZMQ_POLLIN)) return std::nullopt;
    std::vector<zmq::message_t> frames;
    (void)zmq::recv_multipart(s_, std::back_inserter(frames));
    REQUIRE(frames.size() == 2);
    return std::make_pair(bridge::decode_header(frames[0].to_string_view()),
                          bridge::decode(frames[1].to_string_view()));
  }

 private:
  zmq::context_t ctx_;
  zmq::socket_t s_;
};

inline std::string header(bridge::MessageType t, std::uint64_t id,
                          std::optional<std::int64_t> batch = std::nullopt) {
  bridge::Header h;
  h.type = t;
  h.id = id;
  h.batch = batch;
  return bridge::encode_header(h);
}

}  // namespace a2w::test
