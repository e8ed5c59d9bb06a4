#pragma once
// Where a server may listen, and how it authenticates when it listens beyond this machine.
//
// Servers bind loopback by default. Binding any other address (a LAN IP, "*", 0.0.0.0) requires CURVE
// keys: the traffic is then encrypted and clients must know the server's public key (they cannot talk to
// an impostor). With an authorized_clients file only the clients listed there are let in.
//
//   <dir>/server.public         the server's public key, Z85 (40 characters); give it to clients
//   <dir>/server.secret         its secret key (mode 0600)
//   <dir>/authorized_clients    optional: one client public key (Z85) per line; '#' starts a comment
//
// load_server_keys() creates the pair when the folder has none.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace a2w::bridge {

struct CurveKeyPair {
  std::string public_key;  // Z85, 40 characters
  std::string secret_key;
};

struct ServerKeys {
  CurveKeyPair server;
  std::vector<std::string> authorized_clients;  // empty: any client that knows the server key
};

// Whether this libzmq was built with CURVE (Debian's is).
bool has_curve();
CurveKeyPair generate_curve_keys();
// Reads (or creates) the keys in `dir`; throws InvalidArgument naming the file that is wrong.
ServerKeys load_server_keys(const std::string& dir);

// True for ipc:// and inproc:// endpoints, and tcp:// on 127.0.0.0/8, ::1 or localhost.
bool is_loopback(std::string_view endpoint);
// Throws InvalidArgument unless `endpoint` is loopback or `keys` is set ("binding tcp://0.0.0.0:5555 needs
// CURVE keys: pass --curve-keys DIR").
void check_bind_allowed(std::string_view endpoint, bool have_keys);
// A bind endpoint for ZeroMQ: "tcp://HOST:0" (any free port) becomes "tcp://HOST:*". Throws
// InvalidArgument for anything that is not tcp://HOST:PORT, ipc://PATH or inproc://NAME.
std::string zmq_bind_endpoint(std::string_view endpoint);

}  // namespace a2w::bridge
