#pragma once
// Rendezvous: how the processes of one sharded job (a2w eval's shards, data-parallel training) find each
// other, on PyTorch's c10d TCPStore (the store torchrun, Slurm scripts and Kubernetes' PyTorchJob use),
// launched torchrun-style:
//
//   RANK         this process, 0 .. WORLD_SIZE-1      MASTER_ADDR  host of rank 0 (its store)
//   WORLD_SIZE   number of processes                   MASTER_PORT  port of rank 0's store (29500)
//
//   Launch l = launch_from_env();            // RANK=2 WORLD_SIZE=4 MASTER_ADDR=127.0.0.1 MASTER_PORT=29511
//   Rendezvous r(l);                          // rank 0 serves the store; every rank waits until all joined
//   r.set("hello/2", "...");  r.get("hello/1");
//
// Rank 0's store listens on MASTER_PORT on every interface of its machine (c10d gives no choice of address),
// as torchrun's does: on a shared machine, pick the port with that in mind. Every call that talks to the
// store throws a2w::Error naming the rank, the store's address and what failed, so a process whose peer died
// stops with a message rather than a hang (calls wait at most the timeout).

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace a2w::wm {

struct Launch {
  int rank = 0, world_size = 1;
  std::string master_addr;  // empty: no store (a single process, or shards that share a results file)
  int master_port = 29500;
};

// From RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT; a non-empty `given` value wins over its variable. Throws
// InvalidArgument naming the variable for a malformed number, a rank outside [0, world_size), a port outside
// [1, 65535], or a world size above one with an address but no port.
Launch launch_from_env(const std::string& rank = "", const std::string& world_size = "",
                       const std::string& master_addr = "", const std::string& master_port = "");

class Rendezvous {
 public:
  // Rank 0 starts the store and waits for the others to connect; the others connect to it. Throws a2w::Error
  // when not every rank joined within `timeout` (naming how many did) or the port is taken.
  explicit Rendezvous(const Launch& launch, std::chrono::milliseconds timeout = std::chrono::seconds(60));
  ~Rendezvous();
  Rendezvous(const Rendezvous&) = delete;
  Rendezvous& operator=(const Rendezvous&) = delete;

  const Launch& launch() const { return launch_; }
  void set(const std::string& key, const std::string& value);
  // Waits for the key (at most the timeout).
  std::string get(const std::string& key);
  // Adds to a counter and returns its new value (add(key, 0) reads it).
  std::int64_t add(const std::string& key, std::int64_t value);
  bool has(const std::string& key);

 private:
  friend class DataParallel;  // builds its process group on this store
  [[noreturn]] void fail(const std::string& what, const std::exception& e) const;
  Launch launch_;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace a2w::wm
