#pragma once
// Device names as users write them ("cpu", "cuda", "cuda:1"), checked once for every world-model and policy
// entry point, so each refuses a bad name or a missing GPU with the same message.

#include <torch/torch.h>

#include <string>

namespace a2w::wm {

// Throws InvalidArgument starting with `who` (e.g. "TrainJob.device") for a name LibTorch cannot parse, or
// for a CUDA device when this LibTorch build or machine has none.
torch::Device parse_device(const std::string& name, const std::string& who);

}  // namespace a2w::wm
