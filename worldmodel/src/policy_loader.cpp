#include "a2w/wm/policy_loader.h"

#include <filesystem>
#include <fstream>

#include "a2w/env/error.h"
#include "a2w/env/space.h"
#include "a2w/wm/a2world_policy.h"
#include "a2w/wm/bc_policy.h"
#include "a2w/wm/checkpoint.h"
#include "a2w/wm/torchscript_policy.h"

namespace a2w::wm {

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The env's agent-view frame size (square frames), 0 when unknown.
int frame_size(const env::VectorEnv* envs) {
  if (!envs) return 0;
  const auto* space = dynamic_cast<const env::DictSpace*>(envs->single_spec().observation_space.get());
  if (!space) return 0;
  for (const auto& [key, sub] : space->spaces())
    if (key == "agentview_rgb")
      if (const auto* box = dynamic_cast<const env::Box*>(sub.get()); box && box->shape().size() == 3)
        return static_cast<int>(box->shape()[0]);
  return 0;
}

}  // namespace

bool is_policy_file(const std::string& name) {
  if (ends_with(name, ".a2wp") || ends_with(name, ".pt")) return true;
  std::error_code ec;
  return std::filesystem::is_regular_file(name, ec);
}

std::unique_ptr<env::Policy> load_policy(const std::string& path, const env::VectorEnv* envs,
                                         const std::string& device) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (!std::filesystem::exists(path)) throw NotFound("policy file " + path + " does not exist");
    throw InvalidArgument("policy file " + path + " cannot be read");
  }
  char head[4] = {};
  in.read(head, 4);
  const auto got = in.gcount();
  in.close();
  // By content, not by extension: a TorchScript archive is a zip file ("PK\3\4").
  if (got >= 2 && head[0] == 'P' && head[1] == 'K') {
    torch::Device d = torch::kCPU;
    try {
      d = torch::Device(device);
    } catch (const c10::Error&) {
      throw InvalidArgument("policy " + path + ": expected device \"cpu\", \"cuda\" or \"cuda:N\", got '" +
                            device + "'");
    }
    if (d.is_cuda() && !torch::cuda::is_available())
      throw InvalidArgument("policy " + path + ": device '" + device +
                            "' asked for, but this LibTorch build or machine has no CUDA");
    return load_torchscript_policy(path, d, frame_size(envs));
  }
  if (is_checkpoint_file(path)) {
    // Read once; the kind decides which policy it is.
    const Checkpoint ck = read_checkpoint(path);
    if (env::get_or(ck.meta, "kind", std::string()) == kA2WorldPolicyKind) {
      A2WorldPolicyOptions options;
      options.device = device;
      return A2WorldPolicy::load(ck, options);
    }
    BCPolicyOptions options;
    options.device = device;
    if (envs) options.task = envs->single_spec().id;
    return BCPolicy::load(ck, options);  // refuses another kind of checkpoint, naming it
  }
  throw InvalidArgument(
      "policy file " + path +
      ": expected an a2w policy checkpoint (a2w policy train writes them, *.a2wp) or a TorchScript "
      "module (a zip archive, *.pt), got neither");
}

}  // namespace a2w::wm
