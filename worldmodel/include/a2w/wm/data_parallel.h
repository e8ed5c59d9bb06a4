#pragma once
// DataParallel: data-parallel training over the ranks of a Rendezvous, on c10d's ProcessGroupGloo (CPU
// tensors; the process group PyTorch's DistributedDataParallel uses on CPU). Every rank builds the same model
// from the same seed, trains on its own batches, and before each optimizer step the ranks average their
// gradients, so the weights stay identical on every rank (rank 0 writes the checkpoints).
//
//   Rendezvous rendezvous(launch_from_env());
//   DataParallel dp(rendezvous);
//   loss.backward();
//   bool stop = dp.average_gradients(*net, out_of_time);   // one allreduce; stop agreed by all ranks
//
// Gloo finds this host's address from MASTER_ADDR's route: a loopback MASTER_ADDR keeps the process group on
// loopback; otherwise GLOO_SOCKET_IFNAME names the interface, or the host name's address is used.

#include <torch/torch.h>

#include <memory>

#include "a2w/wm/rendezvous.h"

namespace a2w::wm {

class DataParallel {
 public:
  // Throws a2w::Error naming the rank when the process group cannot be built.
  explicit DataParallel(Rendezvous& rendezvous);
  ~DataParallel();
  DataParallel(const DataParallel&) = delete;
  DataParallel& operator=(const DataParallel&) = delete;

  int rank() const;
  int world_size() const;
  // Replaces every gradient of `module` by its mean over the ranks, in one allreduce of a flat buffer that
  // also carries `stop`: returns true when any rank asked to stop (out of time), so all ranks stop together.
  // Throws a2w::Error naming the rank when a peer is gone.
  bool average_gradients(torch::nn::Module& module, bool stop);
  // Every rank's parameters and buffers become rank 0's.
  void broadcast(torch::nn::Module& module);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace a2w::wm
