#include "a2w/wm/data_parallel.h"

#include <cstdlib>
#include <string>
#include <vector>

// LibTorch's ProcessGroupGloo header includes gloo's own headers, which Debian's libtorch has (libgloo-dev)
// and the LibTorch inside Python's pip wheels does not ship: there, data-parallel training is not available.
#if __has_include(<gloo/algorithm.h>)
#define A2W_HAVE_GLOO 1
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#else
#define A2W_HAVE_GLOO 0
#endif

#include "a2w/env/error.h"
#include "a2w/env/loopback.h"
#include "first_line.h"
#include "rendezvous_impl.h"

namespace a2w::wm {

#if A2W_HAVE_GLOO

struct DataParallel::Impl {
  Launch launch;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group;

  [[noreturn]] void fail(const std::string& what, const std::exception& e) const {
    throw Error("data-parallel rank " + std::to_string(launch.rank) + " of " +
                std::to_string(launch.world_size) + ": " + what + " failed: " + first_line(e.what()));
  }
};

DataParallel::DataParallel(Rendezvous& rendezvous) : impl_(std::make_unique<Impl>()) {
  impl_->launch = rendezvous.launch();
  try {
    auto options = c10d::ProcessGroupGloo::Options::create();
    const char* ifname = std::getenv("GLOO_SOCKET_IFNAME");
    if (ifname && *ifname)
      options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
    else if (env::is_loopback_host(impl_->launch.master_addr))
      options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
    else
      options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    // Keys of the group live under their own prefix of the shared store.
    auto store = c10::make_intrusive<c10d::PrefixStore>("a2w-dp", rendezvous.impl_->store);
    impl_->group = c10::make_intrusive<c10d::ProcessGroupGloo>(store, impl_->launch.rank,
                                                               impl_->launch.world_size, options);
  } catch (const std::exception& e) {
    impl_->fail("building the Gloo process group", e);
  }
}

bool DataParallel::average_gradients(torch::nn::Module& module, bool stop) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> grads;
  for (auto& p : module.parameters())
    if (p.grad().defined()) grads.push_back(p.grad().reshape({-1}));
  grads.push_back(torch::full({1}, stop ? 1.0f : 0.0f, torch::kFloat32));
  std::vector<torch::Tensor> flat{torch::cat(grads).to(torch::kFloat32)};
  try {
    impl_->group->allreduce(flat)->wait();
  } catch (const std::exception& e) {
    impl_->fail("averaging gradients (is a peer gone?)", e);
  }
  const auto& sum = flat[0];
  std::int64_t at = 0;
  for (auto& p : module.parameters()) {
    if (!p.grad().defined()) continue;
    const auto n = p.grad().numel();
    p.grad().copy_(sum.narrow(0, at, n).view_as(p.grad()) / static_cast<double>(world_size()));
    at += n;
  }
  return sum[at].item<float>() > 0.5f;
}

void DataParallel::broadcast(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> all;
  for (auto& p : module.parameters()) all.push_back(p);
  for (auto& b : module.buffers()) all.push_back(b);
  for (auto& t : all) {
    std::vector<torch::Tensor> one{t.contiguous()};
    try {
      impl_->group->broadcast(one)->wait();
    } catch (const std::exception& e) {
      impl_->fail("broadcasting rank 0's weights", e);
    }
    if (!one[0].is_same(t)) t.copy_(one[0]);
  }
}

#else  // no gloo headers: every DataParallel refuses to be built

struct DataParallel::Impl {
  Launch launch;
};

DataParallel::DataParallel(Rendezvous& rendezvous) : impl_(std::make_unique<Impl>()) {
  impl_->launch = rendezvous.launch();
  throw Error(
      "data-parallel rank " + std::to_string(impl_->launch.rank) + " of " +
      std::to_string(impl_->launch.world_size) +
      ": this a2w was built against a LibTorch without gloo's headers (as in Python's pip wheels), so "
      "it has no ProcessGroupGloo; build it against Debian's libtorch (libgloo-dev) to train on "
      "several processes");
}
bool DataParallel::average_gradients(torch::nn::Module&, bool) {
  throw Error("DataParallel: not available without gloo");
}
void DataParallel::broadcast(torch::nn::Module&) {
  throw Error("DataParallel: not available without gloo");
}

#endif

// Both builds: the launch the rendezvous gave.
DataParallel::~DataParallel() = default;

int DataParallel::rank() const {
  return impl_->launch.rank;
}
int DataParallel::world_size() const {
  return impl_->launch.world_size;
}

}  // namespace a2w::wm
