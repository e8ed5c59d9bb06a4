#include "a2w/bridge/security.h"

#include <sys/stat.h>
#include <zmq.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "a2w/env/error.h"
#include "a2w/env/loopback.h"

namespace a2w::bridge {

namespace {

std::string read_key(const std::filesystem::path& p) {
  std::ifstream f(p);
  std::string key;
  f >> key;
  if (key.size() != 40)
    throw InvalidArgument(p.string() + ": expected a Z85 CURVE key of 40 characters, got " +
                          std::to_string(key.size()));
  return key;
}

// "tcp://HOST:PORT" -> HOST (without brackets); empty for other transports.
std::string tcp_host(std::string_view endpoint) {
  if (endpoint.rfind("tcp://", 0) != 0) return {};
  std::string_view rest = endpoint.substr(6);
  if (!rest.empty() && rest.front() == '[') {
    const auto close = rest.find(']');
    return std::string(rest.substr(1, close == std::string_view::npos ? std::string_view::npos : close - 1));
  }
  const auto colon = rest.rfind(':');
  return std::string(rest.substr(0, colon));
}

}  // namespace

bool has_curve() {
  return zmq_has("curve") != 0;
}

CurveKeyPair generate_curve_keys() {
  if (!has_curve()) throw Error("this libzmq was built without CURVE support; install Debian's libzmq5");
  char pub[41], sec[41];
  if (zmq_curve_keypair(pub, sec) != 0)
    throw Error(std::string("zmq_curve_keypair: ") + zmq_strerror(zmq_errno()));
  return {pub, sec};
}

ServerKeys load_server_keys(const std::string& dir) {
  namespace fs = std::filesystem;
  const fs::path d(dir);
  if (!fs::exists(d)) fs::create_directories(d);
  if (!fs::is_directory(d)) throw InvalidArgument("--curve-keys: expected a folder, got the file " + dir);
  const fs::path pub = d / "server.public", sec = d / "server.secret";
  if (!fs::exists(pub) && !fs::exists(sec)) {
    const auto keys = generate_curve_keys();
    {
      std::ofstream s(sec);
      s << keys.secret_key << "\n";
    }
    ::chmod(sec.c_str(), 0600);
    std::ofstream p(pub);
    p << keys.public_key << "\n";
  }
  ServerKeys k;
  k.server.public_key = read_key(pub);
  k.server.secret_key = read_key(sec);
  if (std::ifstream f(d / "authorized_clients"); f) {
    for (std::string line; std::getline(f, line);) {
      line = line.substr(0, line.find('#'));
      std::istringstream ss(line);
      std::string key;
      if (!(ss >> key)) continue;
      if (key.size() != 40)
        throw InvalidArgument((d / "authorized_clients").string() +
                              ": expected Z85 keys of 40 characters, got '" + key + "'");
      k.authorized_clients.push_back(key);
    }
  }
  return k;
}

bool is_loopback(std::string_view endpoint) {
  if (endpoint.rfind("ipc://", 0) == 0 || endpoint.rfind("inproc://", 0) == 0) return true;
  return env::is_loopback_host(tcp_host(endpoint));
}

void check_bind_allowed(std::string_view endpoint, bool have_keys) {
  if (!is_loopback(endpoint) && !have_keys)
    throw InvalidArgument(
        "binding " + std::string(endpoint) +
        " (not loopback) needs CURVE keys: pass --curve-keys DIR (or bind tcp://127.0.0.1:PORT)");
}

std::string zmq_bind_endpoint(std::string_view endpoint) {
  if (endpoint.rfind("ipc://", 0) == 0 || endpoint.rfind("inproc://", 0) == 0) return std::string(endpoint);
  const auto colon = endpoint.rfind(':');
  if (endpoint.rfind("tcp://", 0) != 0 || colon == std::string_view::npos || colon < 6)
    throw InvalidArgument("endpoint: expected tcp://HOST:PORT, ipc://PATH or inproc://NAME, got '" +
                          std::string(endpoint) + "'");
  const std::string_view port = endpoint.substr(colon + 1);
  if (port == "0") return std::string(endpoint.substr(0, colon)) + ":*";
  if (port != "*" && (port.empty() || port.find_first_not_of("0123456789") != std::string_view::npos))
    throw InvalidArgument("endpoint: expected a port number after the last ':', got '" +
                          std::string(endpoint) + "'");
  return std::string(endpoint);
}

}  // namespace a2w::bridge
