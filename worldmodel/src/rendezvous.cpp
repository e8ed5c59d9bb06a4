#include "a2w/wm/rendezvous.h"

#include <cstdlib>
#include <vector>

#include "a2w/env/error.h"
#include "first_line.h"
#include "rendezvous_impl.h"

namespace a2w::wm {

namespace {

int parse_int(const std::string& text, const char* name, long lo, long hi) {
  char* end = nullptr;
  errno = 0;
  const long v = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno != 0 || v < lo || v > hi)
    throw InvalidArgument(std::string(name) + ": expected an integer in [" + std::to_string(lo) + ", " +
                          std::to_string(hi) + "], got '" + text + "'");
  return static_cast<int>(v);
}

}  // namespace

Launch launch_from_env(const std::string& rank, const std::string& world_size, const std::string& master_addr,
                       const std::string& master_port) {
  auto pick = [](const std::string& given, const char* var) {
    if (!given.empty()) return given;
    const char* v = std::getenv(var);
    return std::string(v ? v : "");
  };
  Launch l;
  const std::string r = pick(rank, "RANK"), w = pick(world_size, "WORLD_SIZE"),
                    port = pick(master_port, "MASTER_PORT");
  l.world_size = w.empty() ? 1 : parse_int(w, "WORLD_SIZE", 1, 1 << 20);
  l.rank = r.empty() ? 0 : parse_int(r, "RANK", 0, 1 << 20);
  if (l.rank >= l.world_size)
    throw InvalidArgument("RANK: expected 0 <= RANK < WORLD_SIZE (" + std::to_string(l.world_size) +
                          "), got " + std::to_string(l.rank));
  l.master_addr = pick(master_addr, "MASTER_ADDR");
  if (!port.empty()) l.master_port = parse_int(port, "MASTER_PORT", 1, 65535);
  return l;
}

Rendezvous::Rendezvous(const Launch& launch, std::chrono::milliseconds timeout)
    : launch_(launch), impl_(std::make_unique<Impl>()) {
  if (launch.master_addr.empty())
    throw InvalidArgument("Rendezvous: expected MASTER_ADDR (rank 0's host), got none");
  c10d::TCPStoreOptions o;
  o.port = static_cast<std::uint16_t>(launch.master_port);
  o.isServer = launch.rank == 0;
  o.numWorkers = static_cast<std::size_t>(launch.world_size);
  o.waitWorkers = true;
  o.timeout = timeout;
  try {
    impl_->store = c10::make_intrusive<c10d::TCPStore>(launch.master_addr, o);
  } catch (const std::exception& e) {
    fail(launch.rank == 0 ? "starting the store and waiting " + std::to_string(timeout.count()) +
                                " ms for all " + std::to_string(launch.world_size) + " ranks to join"
                          : "joining the store",
         e);
  }
}

Rendezvous::~Rendezvous() = default;

void Rendezvous::fail(const std::string& what, const std::exception& e) const {
  throw Error("rank " + std::to_string(launch_.rank) + " of " + std::to_string(launch_.world_size) + ": " +
              what + " at " + launch_.master_addr + ":" + std::to_string(launch_.master_port) +
              " failed: " + first_line(e.what()));
}

void Rendezvous::set(const std::string& key, const std::string& value) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  try {
    impl_->store->set(key, std::vector<std::uint8_t>(value.begin(), value.end()));
  } catch (const std::exception& e) {
    fail("set '" + key + "'", e);
  }
}

std::string Rendezvous::get(const std::string& key) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  try {
    const auto v = impl_->store->get(key);
    return std::string(v.begin(), v.end());
  } catch (const std::exception& e) {
    fail("get '" + key + "'", e);
  }
}

std::int64_t Rendezvous::add(const std::string& key, std::int64_t value) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  try {
    return impl_->store->add(key, value);
  } catch (const std::exception& e) {
    fail("add to '" + key + "'", e);
  }
}

bool Rendezvous::has(const std::string& key) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  try {
    return impl_->store->check({key});
  } catch (const std::exception& e) {
    fail("check '" + key + "'", e);
  }
}

}  // namespace a2w::wm
