#pragma once
// Internal: the client end of the protocol, a DEALER socket that sends one request at a time and waits for
// its reply without ever blocking forever:
//
//   - LINGER=0 (closing never waits for unsent messages) and IMMEDIATE=1 (nothing queues for a server that
//     is not connected, so a request to nobody fails after connect_timeout instead of waiting for one);
//   - while it waits it pings every ping_interval; any message from the server proves it alive. No reply and
//     no pong for peer_timeout means the server is gone (killed, crashed, network down): Unavailable;
//   - a request whose deadline passes fails with DeadlineExceeded; its late reply, like any reply whose id
//     is not the awaited one, is dropped when it comes;
//   - after an Unavailable the socket is replaced before the next request, so nothing stale is read.

#include <chrono>
#include <cstdint>
#include <msgpack/sbuffer.hpp>
#include <optional>
#include <string>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "a2w/bridge/body.h"
#include "a2w/bridge/codec.h"
#include "a2w/bridge/protocol.h"

namespace a2w::bridge::detail {

struct ClientOptions {
  std::string endpoint;           // tcp://HOST:PORT
  std::string server_public_key;  // CURVE: the server's Z85 public key; empty: plain TCP
  double connect_timeout_s = 5.0;
  double peer_timeout_s = 2.0;
  double ping_interval_s = 0.25;
  double deadline_s = 30.0;  // default per-request deadline
  std::size_t max_message_bytes = std::size_t{64} << 20;
  std::string what = "server";  // "policy server", "env server": for messages
};

struct Reply {
  Header header;
  Body body;
};

class Client {
 public:
  explicit Client(ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends a request and returns its reply. Throws RemoteError for an error reply, Unavailable when the
  // server cannot be reached or stops answering, DeadlineExceeded when `deadline_s` (default: the option)
  // passes, InvalidArgument for a malformed reply.
  Reply request(MessageType type, const Body& body, std::optional<std::int64_t> batch = std::nullopt,
                std::optional<double> deadline_s = std::nullopt);

  // Drops the socket; the next request connects afresh.
  void reset_connection();
  const ClientOptions& options() const { return options_; }
  // Replies that came for requests nobody waits for any more (late or unknown ids).
  std::uint64_t stale_replies() const { return stale_; }

 private:
  void connect();
  bool send_frames(zmq::message_t& header, zmq::message_t& body, std::chrono::steady_clock::time_point until);

  ClientOptions options_;
  zmq::context_t ctx_;
  std::optional<zmq::socket_t> socket_;
  std::string client_public_, client_secret_;
  msgpack::sbuffer scratch_;  // encoding buffer kept between requests
  std::uint64_t next_id_ = 1;
  std::uint64_t stale_ = 0;
  bool ever_answered_ = false;    // since the socket was made: the first send may wait connect_timeout
  bool answered_before_ = false;  // on any socket: the server worked once (for the wording of errors)
};

}  // namespace a2w::bridge::detail
