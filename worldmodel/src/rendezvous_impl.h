#pragma once
// The c10d store behind a Rendezvous, shared with DataParallel (which builds its process group on it).

#include <mutex>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include "a2w/wm/rendezvous.h"

namespace a2w::wm {

struct Rendezvous::Impl {
  std::mutex mutex;  // one request on the client connection at a time
  c10::intrusive_ptr<c10d::TCPStore> store;
};

}  // namespace a2w::wm
