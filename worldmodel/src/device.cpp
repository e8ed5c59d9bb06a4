#include "a2w/wm/device.h"

#include "a2w/env/error.h"
#ifdef A2W_CUDA
#include "frames_kernel.h"
#endif

namespace a2w::wm {

torch::Device parse_device(const std::string& name, const std::string& who) {
  try {
    const torch::Device d(name);
#ifdef A2W_CUDA
    if (d.is_cuda() && !torch::cuda::is_available() && kernels::cuda_device_count() > 0)
      throw Error(who + ": device '" + name + "' asked for; the CUDA runtime sees " +
                  std::to_string(kernels::cuda_device_count()) +
                  " GPU(s) but LibTorch sees none: its CUDA library (libtorch_cuda) was not loaded");
#endif
    if (d.is_cuda() && !torch::cuda::is_available())
      throw InvalidArgument(who + ": device '" + name +
                            "' asked for, but this LibTorch build or machine has no CUDA; use 'cpu'");
    return d;
  } catch (const c10::Error&) {
    throw InvalidArgument(who + ": expected device \"cpu\", \"cuda\" or \"cuda:N\", got '" + name + "'");
  }
}

}  // namespace a2w::wm
