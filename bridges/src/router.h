#pragma once
// Internal: the I/O side of every ZeroMQ server, a ROUTER socket owned by one thread (ZeroMQ sockets are not
// thread safe). It receives, checks frames and headers (answering malformed messages and pings itself), and
// sends the replies other threads queue with post(): those wake the poll through an eventfd.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "a2w/bridge/protocol.h"
#include "a2w/bridge/security.h"

namespace a2w::bridge::detail {

using Clock = std::chrono::steady_clock;

struct Peer {
  std::string id;          // ZeroMQ routing id
  bool delimiter = false;  // a REQ peer: its replies carry an empty frame before the header
};

struct Incoming {
  Peer peer;
  Header header;
  std::shared_ptr<zmq::message_t> body;  // shared: decoded arrays may point into it
  Clock::time_point received;
  Clock::time_point deadline;  // received + deadline_ms, or time_point::max()
};

struct RouterOptions {
  std::string bind;
  std::optional<ServerKeys> keys;
  std::size_t max_message_bytes = std::size_t{64} << 20;
};

struct RouterCounters {
  std::atomic<std::uint64_t> received{0}, sent{0}, malformed{0}, unroutable{0};
};

class Router {
 public:
  explicit Router(const RouterOptions& options);
  ~Router();
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  // The bound endpoint, with the real port when the bind asked for port 0.
  const std::string& endpoint() const { return endpoint_; }

  // Thread safe: queue a message for `to` and wake the I/O thread.
  void post(const Peer& to, MessageType type, std::uint64_t id, zmq::message_t body);
  void post_error(const Peer& to, std::uint64_t id, ErrorCode code, const std::string& message);
  // Thread safe; run() returns soon after.
  void stop();
  bool stopping() const { return stop_.load(); }

  // The I/O loop. `on_message` gets every well-formed message except pings; `on_tick` runs at least every
  // `tick` (and after every batch of messages).
  void run(const std::function<void(Incoming&&)>& on_message, const std::function<void()>& on_tick,
           std::chrono::milliseconds tick);

  // I/O thread only: send now. Returns false when the peer is gone or its queue is full (the reply is
  // dropped: a client that left cannot be answered).
  bool send(const Peer& to, MessageType type, std::uint64_t id, zmq::message_t body);
  void send_error(const Peer& to, std::uint64_t id, ErrorCode code, const std::string& message);

  const RouterCounters& counters() const { return counters_; }

 private:
  struct Out {
    Peer peer;
    MessageType type;
    std::uint64_t id;
    zmq::message_t body;
  };
  void receive_one();
  void flush_posted();
  void answer_zap();

  zmq::context_t ctx_;
  zmq::socket_t socket_;
  std::optional<zmq::socket_t> zap_;
  std::vector<std::string> authorized_;
  std::string endpoint_;
  std::size_t max_message_bytes_;
  int wake_fd_ = -1;
  std::mutex mu_;
  std::vector<Out> posted_;
  std::atomic<bool> stop_{false};
  RouterCounters counters_;
  std::function<void(Incoming&&)> on_message_;
};

// Shared socket options of clients and servers: never linger on close, ZMTP heartbeats so that libzmq drops
// dead TCP peers by itself.
void set_common_options(zmq::socket_t& s, std::size_t max_message_bytes);

}  // namespace a2w::bridge::detail
