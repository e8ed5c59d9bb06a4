#include "a2w/wm/torchscript_policy.h"

#include <torch/script.h>

#include <cstring>
#include <filesystem>
#include <sstream>
#include <utility>

#include "a2w/env/error.h"
#include "a2w/wm/bc_policy.h"
#include "first_line.h"

namespace a2w::wm {

const char* const kTorchScriptPolicySignature =
    "expected forward(agentview_rgb: uint8 [B, H, W, 3], eye_in_hand_rgb: uint8 [B, H, W, 3], proprio: "
    "float32 "
    "[B, 8]) -> actions: float32 [B, 7] or [B, Ha, 7] (see torchscript_policy.h)";

namespace {

constexpr std::int64_t kActionDim = 7;

std::string describe(const torch::Tensor& t) {
  std::ostringstream s;
  s << c10::toString(t.scalar_type()) << " " << t.sizes();
  return s.str();
}

class TorchScriptPolicy final : public env::Policy {
 public:
  TorchScriptPolicy(torch::jit::Module module, torch::Device device, int image_size, std::string path)
      : module_(std::move(module)), device_(device), image_size_(image_size), path_(std::move(path)) {}

  std::string name() const override { return "torchscript"; }

  env::Array act(const env::Dict& obs) override {
    const std::string who = "TorchScript policy " + path_;
    const torch::Tensor views = policy_views(obs, {"agentview_rgb", "eye_in_hand_rgb"}, image_size_, who);
    const torch::Tensor proprio = policy_proprio(obs, who);
    if (proprio.size(0) != views.size(0))
      throw InvalidArgument(who + ": the views have " + std::to_string(views.size(0)) +
                            " rows, the proprio " + std::to_string(proprio.size(0)));
    const torch::Tensor out = run(views.select(1, 0).contiguous(), views.select(1, 1).contiguous(), proprio);
    env::Array a(env::DType::kFloat32, std::vector<std::int64_t>(out.sizes().begin(), out.sizes().end()));
    std::memcpy(a.raw(), out.data_ptr<float>(), a.nbytes());
    return a;
  }

  // forward on CPU inputs; the checked, clipped output on the CPU.
  torch::Tensor run(const torch::Tensor& agentview, const torch::Tensor& eye_in_hand,
                    const torch::Tensor& proprio) {
    torch::NoGradGuard no_grad;
    const std::string who = "TorchScript policy " + path_;
    const std::int64_t b = agentview.size(0);
    c10::IValue out;
    try {
      out = module_.forward({agentview.to(device_), eye_in_hand.to(device_), proprio.to(device_)});
    } catch (const c10::Error& e) {
      throw Error(who + ": forward failed: " + first_line(e.what()));
    }
    if (!out.isTensor())
      throw InvalidArgument(who + ": forward returned " + out.tagKind() + "; " + kTorchScriptPolicySignature);
    const torch::Tensor t = out.toTensor();
    const bool shape_ok = (t.dim() == 2 || (t.dim() == 3 && t.size(1) >= 1)) && t.size(0) == b &&
                          t.size(t.dim() - 1) == kActionDim;
    if (t.scalar_type() != torch::kFloat || !shape_ok)
      throw InvalidArgument(who + ": forward returned " + describe(t) + " for a batch of " +
                            std::to_string(b) + "; " + kTorchScriptPolicySignature);
    const torch::Tensor cpu = t.to(torch::kCPU).contiguous();
    if (!torch::isfinite(cpu).all().item<bool>())
      throw InvalidArgument(who + ": forward returned NaN or infinite actions");
    return cpu.clamp(-1.0, 1.0);
  }

 private:
  torch::jit::Module module_;
  torch::Device device_;
  int image_size_;  // 0: frames passed at the env's size
  std::string path_;
};

}  // namespace

std::unique_ptr<env::Policy> load_torchscript_policy(const std::string& path, torch::Device device,
                                                     int image_size_hint) {
  const std::string who = "TorchScript policy " + path;
  if (!std::filesystem::exists(path)) throw NotFound(who + ": no such file");
  torch::jit::Module module;
  try {
    module = torch::jit::load(path, device);
  } catch (const c10::Error& e) {
    throw InvalidArgument(who + ": not a loadable TorchScript module (" + first_line(e.what()) + "); " +
                          kTorchScriptPolicySignature);
  }
  module.eval();

  // The schema, before anything runs.
  const auto forward = module.find_method("forward");
  if (!forward)
    throw InvalidArgument(who + ": the module has no forward method; " + kTorchScriptPolicySignature);
  const auto& schema = forward->function().getSchema();
  const auto& args = schema.arguments();  // args[0] is self
  const auto& returns = schema.returns();
  std::string got;
  bool fits =
      args.size() == 4 && returns.size() == 1 && returns[0].type()->kind() == c10::TypeKind::TensorType;
  for (std::size_t i = 1; i < args.size(); ++i) {
    got += (got.empty() ? "" : ", ") + args[i].name() + ": " + args[i].type()->str();
    fits = fits && args[i].type()->kind() == c10::TypeKind::TensorType;
  }
  std::string ret;
  for (const auto& r : returns) ret += (ret.empty() ? "" : ", ") + r.type()->str();
  if (!fits)
    throw InvalidArgument(who + ": forward(" + got + ") -> " + (returns.size() == 1 ? ret : "(" + ret + ")") +
                          " does not fit; " + kTorchScriptPolicySignature);

  int image_size = 0;
  if (module.hasattr("image_size")) {
    const c10::IValue v = module.attr("image_size");
    if (!v.isInt() || v.toInt() < 1 || v.toInt() > 4096)
      throw InvalidArgument(who + ": attribute 'image_size' should be a positive int, got " +
                            (v.isInt() ? std::to_string(v.toInt()) : v.tagKind()));
    image_size = static_cast<int>(v.toInt());
  }
  auto policy = std::make_unique<TorchScriptPolicy>(std::move(module), device, image_size, path);

  // One forward on zeros at batch 2 (so a module that squeezes the batch away is caught) checks the output.
  const int size = image_size > 0 ? image_size : image_size_hint;
  if (size > 0) {
    const auto frames = torch::zeros({2, size, size, 3}, torch::kUInt8);
    try {
      policy->run(frames, frames, torch::zeros({2, 8}, torch::kFloat));
    } catch (const InvalidArgument&) {
      throw;
    } catch (const Error& e) {
      throw InvalidArgument(std::string(e.what()) + " (on zero inputs of " + std::to_string(size) + " x " +
                            std::to_string(size) + " px); " + kTorchScriptPolicySignature);
    }
  }
  return policy;
}

}  // namespace a2w::wm
