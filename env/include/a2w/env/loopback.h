#pragma once
// Whether a host name or address stays on this machine: 127.0.0.0/8, ::1 or localhost. The bridges bind
// only there unless told otherwise; data-parallel training keeps its Gloo group there for such a host.

#include <string_view>

namespace a2w::env {

inline bool is_loopback_host(std::string_view host) {
  return host == "localhost" || host == "::1" || host.substr(0, 4) == "127.";
}

}  // namespace a2w::env
