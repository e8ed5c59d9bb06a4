#pragma once
// Internal: the OpenPI websocket front end of a PolicyServer (Boost.Beast over Asio, C++20 coroutines on
// one thread). Per connection, as openpi's websocket_policy_server.py: the server sends the metadata as one
// binary frame first; then each binary frame from the client is one observation and gets one binary frame
// back ({"actions": [H, D], "server_timing": {...}}); on an error the server sends a text frame with the
// reason and closes with code 1011. A plain HTTP GET /healthz answers 200 "OK\n". Inference runs on the
// Batcher's worker, so this thread keeps answering pings and other connections meanwhile.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "a2w/bridge/key_map.h"
#include "a2w/env/value.h"
#include "batcher.h"

namespace a2w::bridge::detail {

struct OpenPiFrontendOptions {
  std::string host = "127.0.0.1";
  int port = 8000;  // 0: any free port
  env::Dict metadata;
  KeyMap key_map = KeyMap::kLibero;
  std::size_t max_message_bytes = std::size_t{64} << 20;
  int max_connections = 64;
  std::function<std::uint64_t()> new_session;  // a session number for each connection
};

class OpenPiFrontend {
 public:
  OpenPiFrontend(Batcher& batcher, OpenPiFrontendOptions options);
  ~OpenPiFrontend();  // stop()
  // Binds (throws a2w::Error when it cannot) and serves on a thread of its own.
  void start();
  void stop();
  int port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace a2w::bridge::detail
