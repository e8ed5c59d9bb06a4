#pragma once
// Learned policies from files, by content: an a2w checkpoint of kind "bc" (bc_policy.h; `a2w policy train
// --kind bc` writes them, conventionally *.a2wp) or "a2w-policy" (a2world_policy.h; `--kind a2w-policy`),
// or a TorchScript module (torchscript_policy.h, *.pt).
// `a2w rollout --policy FILE` comes here, so every kind runs unchanged with --sim physics and --sim wm:
//
//   auto policy = a2w::wm::load_policy("runs/bc.a2wp", &envs);
//   auto episodes = a2w::env::rollout(envs, *policy, options);
//
// Nothing here includes LibTorch: the benchmarks and the CLI load policies through these functions.

#include <memory>
#include <string>

#include "a2w/env/policy.h"
#include "a2w/env/vector_env.h"

namespace a2w::wm {

// envs (may be null): the env the policy will step. Its spec id gives a BC policy its task row (an
// A2World-sim id "a2w-sim/X" counts as "a2w/X"), and its observation space the frame size of a TorchScript
// module's trial forward. device: "cpu", "cuda", "cuda:N".
// Throws NotFound for a missing file; InvalidArgument naming the file for a checkpoint of another kind (an
// A2World world model), a corrupt checkpoint, a TorchScript module with another signature, or a file that is
// neither an a2w checkpoint nor a TorchScript archive.
std::unique_ptr<env::Policy> load_policy(const std::string& path, const env::VectorEnv* envs = nullptr,
                                         const std::string& device = "cpu");

// Whether a --policy name means a file: it ends with .a2wp or .pt, or names an existing regular file.
bool is_policy_file(const std::string& name);

}  // namespace a2w::wm
