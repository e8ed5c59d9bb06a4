#include "a2w/wm/torchscript_world_model.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/script.h>

#include <algorithm>
#include <sstream>
#include <utility>

#include "a2w/env/error.h"
#include "first_line.h"

namespace a2w::wm {
namespace {

constexpr const char* kExpected =
    "expected forward(context: float32 [B, V, K, 3, H, W], anchor: float32 [B, V, 3, H, W], actions: float32 "
    "[B, Ha, A], task: int64 [B], noise: float32 [B, V, 3, H, W]) -> (frames: float32 [B, V, 3, H, W], "
    "state: float32 [B, S], success_logit: float32 [B], reward: float32 [B]) and int attributes image_size, "
    "views, context_frames, action_horizon, action_dim, state_dim (see torchscript_world_model.h)";

std::string describe(const torch::Tensor& t) {
  std::ostringstream s;
  s << c10::toString(t.scalar_type()) << " " << t.sizes();
  return s.str();
}

std::string shape_str(const std::vector<std::int64_t>& shape) {
  std::ostringstream s;
  s << c10::IntArrayRef(shape);
  return s.str();
}

int int_attribute(const torch::jit::Module& m, const std::string& path, const char* name) {
  if (!m.hasattr(name))
    throw InvalidArgument("TorchScript world model " + path + ": missing attribute '" + name + "'; " +
                          kExpected);
  const c10::IValue v = m.attr(name);
  if (!v.isInt())
    throw InvalidArgument("TorchScript world model " + path + ": attribute '" + name +
                          "' should be an int, got " + v.tagKind());
  const auto x = v.toInt();
  if (x < 1 || x > (1 << 20))
    throw InvalidArgument("TorchScript world model " + path + ": attribute '" + name +
                          "' should be a positive int, got " + std::to_string(x));
  return static_cast<int>(x);
}

std::vector<std::string> string_list_attribute(const torch::jit::Module& m, const std::string& path,
                                               const char* name, std::vector<std::string> fallback) {
  if (!m.hasattr(name)) return fallback;
  const c10::IValue v = m.attr(name);
  if (!v.isList())
    throw InvalidArgument("TorchScript world model " + path + ": attribute '" + name +
                          "' should be a List[str], got " + v.tagKind());
  std::vector<std::string> out;
  for (const c10::IValue& e : v.toListRef()) {
    if (!e.isString())
      throw InvalidArgument("TorchScript world model " + path + ": attribute '" + name +
                            "' should be a List[str], got an element of kind " + e.tagKind());
    out.push_back(e.toStringRef());
  }
  return out;
}

class TorchScriptWorldModel final : public WorldModel {
 public:
  TorchScriptWorldModel(torch::jit::Module module, WorldModelConfig config, torch::Device device,
                        std::string path)
      : module_(std::move(module)), config_(std::move(config)), device_(device), path_(std::move(path)) {}

  const WorldModelConfig& config() const override { return config_; }
  torch::Device device() const override { return device_; }

  WorldModelOutput predict(const WorldModelInput& in) override {
    torch::NoGradGuard no_grad;
    const WorldModelConfig& c = config_;
    const std::int64_t b = in.context.defined() && in.context.dim() > 0 ? in.context.size(0) : 0;
    const std::int64_t s = c.image_size, v = c.views, k = c.context_frames;
    check_input(in.context, "context", {b, v, k, s, s, 3}, torch::kUInt8);
    check_input(in.anchor, "anchor", {b, v, s, s, 3}, torch::kUInt8);
    check_input(in.actions, "actions", {b, c.action_horizon, c.action_dim}, torch::kFloat);
    if (!in.seeds.empty() && static_cast<std::int64_t>(in.seeds.size()) != b)
      throw InvalidArgument("WorldModel::predict: expected " + std::to_string(b) + " seeds, got " +
                            std::to_string(in.seeds.size()));
    const auto to_unit = [&](const torch::Tensor& u8) {
      return u8.to(device_).to(torch::kFloat).div_(127.5).sub_(1.0);
    };
    const torch::Tensor context = to_unit(in.context.permute({0, 1, 2, 5, 3, 4}));
    const torch::Tensor anchor = to_unit(in.anchor.permute({0, 1, 4, 2, 3}));
    const torch::Tensor actions = in.actions.to(device_, torch::kFloat);
    const torch::Tensor task = in.task.defined()
                                   ? in.task.to(device_, torch::kLong)
                                   : torch::full({b}, -1, torch::TensorOptions(torch::kLong).device(device_));
    // Row by row from its own seed, on the CPU whatever the device: row b's noise is the same in any batch
    // and on any machine.
    torch::Tensor noise = torch::empty({b, v, 3, s, s}, torch::kFloat);
    for (std::int64_t r = 0; r < b; ++r) {
      const std::uint64_t seed =
          in.seeds.empty() ? static_cast<std::uint64_t>(r) : in.seeds[static_cast<std::size_t>(r)];
      noise[r].copy_(torch::randn({v, 3, s, s}, at::make_generator<at::CPUGeneratorImpl>(seed)));
    }
    c10::IValue out;
    try {
      out = module_.forward({context, anchor, actions, task, noise.to(device_)});
    } catch (const c10::Error& e) {
      throw Error("TorchScript world model " + path_ + ": forward failed: " + first_line(e.what()));
    }
    return convert(out, b);
  }

 private:
  // Checks `out` against the documented outputs for batch `b` and converts it to a WorldModelOutput.
  WorldModelOutput convert(const c10::IValue& out, std::int64_t b) const {
    const WorldModelConfig& c = config_;
    const std::string where = "TorchScript world model " + path_ + ": ";
    if (!out.isTuple() || out.toTupleRef().elements().size() != 4)
      throw InvalidArgument(
          where + "forward returned " + out.tagKind() +
          (out.isTuple() ? " of " + std::to_string(out.toTupleRef().elements().size()) + " elements" : "") +
          "; " + kExpected);
    const auto& e = out.toTupleRef().elements();
    const char* const names[4] = {"frames", "state", "success_logit", "reward"};
    const std::vector<std::vector<std::int64_t>> shapes = {
        {b, c.views, 3, c.image_size, c.image_size}, {b, c.state_dim}, {b}, {b}};
    for (std::size_t i = 0; i < 4; ++i) {
      if (!e[i].isTensor())
        throw InvalidArgument(where + "output " + names[i] + " should be a tensor, got " + e[i].tagKind() +
                              "; " + kExpected);
      const torch::Tensor& t = e[i].toTensor();
      if (t.scalar_type() != torch::kFloat || t.sizes() != c10::IntArrayRef(shapes[i]))
        throw InvalidArgument(where + "output " + names[i] + " should be float32 " + shape_str(shapes[i]) +
                              ", got " + describe(t) + "; " + kExpected);
    }
    WorldModelOutput r;
    r.frames = e[0].toTensor()
                   .clamp(-1.0, 1.0)
                   .add(1.0)
                   .mul(127.5)
                   .round()
                   .to(torch::kUInt8)
                   .permute({0, 1, 3, 4, 2})
                   .contiguous();
    r.state = e[1].toTensor().contiguous();
    r.success = torch::sigmoid(e[2].toTensor());
    r.reward = e[3].toTensor().contiguous();
    return r;
  }

  static void check_input(const torch::Tensor& t, const char* name, const std::vector<std::int64_t>& shape,
                          torch::ScalarType dtype) {
    if (!t.defined() || t.scalar_type() != dtype || t.sizes() != c10::IntArrayRef(shape))
      throw InvalidArgument(std::string("WorldModel::predict: expected ") + name + " as " +
                            c10::toString(dtype) + " " + shape_str(shape) + ", got " +
                            (t.defined() ? describe(t) : std::string("an undefined tensor")));
  }

  torch::jit::Module module_;
  WorldModelConfig config_;
  torch::Device device_;
  std::string path_;
};

}  // namespace

std::shared_ptr<WorldModel> load_torchscript_world_model(const std::string& path, torch::Device device) {
  torch::jit::Module module;
  try {
    module = torch::jit::load(path, device);
  } catch (const c10::Error& e) {
    throw InvalidArgument("TorchScript world model " + path + ": not a loadable TorchScript module (" +
                          first_line(e.what()) + "); " + kExpected);
  }
  module.eval();

  const auto forward = module.find_method("forward");
  if (!forward)
    throw InvalidArgument("TorchScript world model " + path + ": the module has no forward method; " +
                          kExpected);
  const auto& args = forward->function().getSchema().arguments();  // args[0] is self
  std::string got;
  bool tensors = args.size() == 6;
  for (std::size_t i = 1; i < args.size(); ++i) {
    got += (got.empty() ? "" : ", ") + args[i].name() + ": " + args[i].type()->str();
    tensors = tensors && args[i].type()->kind() == c10::TypeKind::TensorType;
  }
  if (!tensors)
    throw InvalidArgument("TorchScript world model " + path + ": forward(" + got + ") does not fit; " +
                          kExpected);

  WorldModelConfig c;
  c.state_input = false;  // the signature has no state input
  c.image_size = int_attribute(module, path, "image_size");
  c.views = int_attribute(module, path, "views");
  c.context_frames = int_attribute(module, path, "context_frames");
  c.action_horizon = int_attribute(module, path, "action_horizon");
  c.action_dim = int_attribute(module, path, "action_dim");
  c.state_dim = int_attribute(module, path, "state_dim");
  std::vector<std::string> keys = c.view_keys;
  keys.resize(std::min(keys.size(), static_cast<std::size_t>(c.views)));
  c.view_keys = string_list_attribute(module, path, "view_keys", keys);
  if (static_cast<int>(c.view_keys.size()) != c.views)
    throw InvalidArgument("TorchScript world model " + path + ": expected " + std::to_string(c.views) +
                          " view_keys (attribute views), got " + std::to_string(c.view_keys.size()));
  c.tasks = string_list_attribute(module, path, "tasks", {});
  c.task_slots = std::max<int>(1, static_cast<int>(c.tasks.size()));
  c.anchor_frame = true;

  // One forward on zeros (batch 2, so a module that squeezes the batch away is caught) checks the outputs.
  auto model = std::make_shared<TorchScriptWorldModel>(std::move(module), c, device, path);
  const std::int64_t b = 2, s = c.image_size;
  WorldModelInput in;
  in.context = torch::zeros({b, c.views, c.context_frames, s, s, 3}, torch::kUInt8);
  in.anchor = torch::zeros({b, c.views, s, s, 3}, torch::kUInt8);
  in.actions = torch::zeros({b, c.action_horizon, c.action_dim}, torch::kFloat);
  in.task = torch::full({b}, c.tasks.empty() ? -1 : 0, torch::kLong);
  try {
    model->predict(in);
  } catch (const InvalidArgument&) {
    throw;
  } catch (const Error& e) {
    throw InvalidArgument(std::string(e.what()) + "; " + kExpected);
  }
  return model;
}

}  // namespace a2w::wm
