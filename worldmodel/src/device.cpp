#include "a2w/wm/device.h"

#include "a2w/env/error.h"

namespace a2w::wm {

torch::Device parse_device(const std::string& name, const std::string& who) {
  try {
    const torch::Device d(name);
    if (d.is_cuda() && !torch::cuda::is_available())
      throw InvalidArgument(who + ": device '" + name +
                            "' asked for, but this LibTorch build or machine has no CUDA; use 'cpu'");
    return d;
  } catch (const c10::Error&) {
    throw InvalidArgument(who + ": expected device \"cpu\", \"cuda\" or \"cuda:N\", got '" + name + "'");
  }
}

}  // namespace a2w::wm
