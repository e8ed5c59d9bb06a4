#include "a2w/wm/bc_policy.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <numeric>
#include <set>
#include <sstream>

#include "a2w/env/error.h"
#include "a2w/wm/device.h"
#include "a2w/wm/precision.h"
#include "a2w/wm/register_sim.h"

namespace a2w::wm {

namespace {

[[noreturn]] void bad(const std::string& what) {
  throw InvalidArgument("BCConfig: " + what);
}

env::List to_list(const std::vector<std::string>& v) {
  env::List l;
  for (const auto& s : v) l.emplace_back(s);
  return l;
}

std::vector<std::string> string_list(const env::Value& v, const std::string& key) {
  if (!v.is_list()) bad("field '" + key + "' should be a list of strings, got " + env::describe(v));
  std::vector<std::string> out;
  for (const auto& e : v.as_list()) {
    if (!e.is_string())
      bad("field '" + key + "' should be a list of strings, got an element " + env::describe(e));
    out.push_back(e.as_string());
  }
  return out;
}

int int_field(const env::Value& v, const std::string& key) {
  if (!v.is_number()) bad("field '" + key + "' should be an int, got " + env::describe(v));
  const auto x = v.as_int();
  if (x < -(1 << 30) || x > (1 << 30)) bad("field '" + key + "' is out of range: " + std::to_string(x));
  return static_cast<int>(x);
}

std::string shape_of(const env::Array& a) {
  return env::describe(a);
}

// A read-only torch view of an env::Array (the array must outlive the tensor's use).
torch::Tensor view_of(const env::Array& a, torch::ScalarType type) {
  std::vector<std::int64_t> sizes(a.shape().begin(), a.shape().end());
  return torch::from_blob(const_cast<void*>(a.raw()), sizes, torch::TensorOptions(type));
}

// The row of `task` (a physics id or its A2World-sim id) in `tasks`, -1 when absent.
int row_of(const std::vector<std::string>& tasks, const std::string& task) {
  if (task.empty()) return -1;
  std::string id = task;
  if (is_sim_id(id)) id = physics_id_of(id);
  const auto it = std::find(tasks.begin(), tasks.end(), id);
  return it == tasks.end() ? -1 : static_cast<int>(it - tasks.begin());
}

}  // namespace

// ---- BCConfig ----

BCConfig BCConfig::preset(const std::string& name) {
  BCConfig c;  // the defaults are the "cpu" preset
  if (name == "cpu") return c;
  if (name == "tiny") {
    c.image_size = 16;
    c.channels = 4;
    c.view_features = 16;
    c.hidden = 32;
    c.layers = 1;
    c.task_dim = 8;
    c.chunk = 4;
    c.execute = 2;
    c.augment_shift = 1;
    return c;
  }
  throw InvalidArgument("BCConfig::preset: unknown preset '" + name + "'; expected tiny or cpu");
}

void BCConfig::validate() const {
  if (image_size < 16 || image_size % 16 != 0 || image_size > 4096)
    bad("image_size must be a positive multiple of 16 (four stride-2 convolutions), got " +
        std::to_string(image_size));
  if (view_keys.empty()) bad("view_keys must name at least one camera");
  if (std::set<std::string>(view_keys.begin(), view_keys.end()).size() != view_keys.size())
    bad("view_keys must not repeat a camera");
  if (channels < 1 || channels > 4096) bad("channels must be in [1, 4096], got " + std::to_string(channels));
  if (view_features < 1) bad("view_features must be >= 1, got " + std::to_string(view_features));
  if (hidden < 1) bad("hidden must be >= 1, got " + std::to_string(hidden));
  if (layers < 0 || layers > 16) bad("layers must be in [0, 16], got " + std::to_string(layers));
  if (task_dim < 0) bad("task_dim must be >= 0, got " + std::to_string(task_dim));
  if (chunk < 1 || chunk > 1024) bad("chunk must be in [1, 1024], got " + std::to_string(chunk));
  if (execute < 1 || execute > chunk)
    bad("execute must be in [1, chunk = " + std::to_string(chunk) + "], got " + std::to_string(execute));
  if (action_dim < 1) bad("action_dim must be >= 1, got " + std::to_string(action_dim));
  if (loss != "l1" && loss != "mse") bad("loss must be \"l1\" or \"mse\", got '" + loss + "'");
  if (augment_shift < 0 || augment_shift > image_size / 2)
    bad("augment_shift must be in [0, image_size / 2], got " + std::to_string(augment_shift));
}

env::Dict BCConfig::to_dict() const {
  return {{"image_size", image_size},
          {"view_keys", to_list(view_keys)},
          {"channels", channels},
          {"view_features", view_features},
          {"hidden", hidden},
          {"layers", layers},
          {"task_dim", task_dim},
          {"tasks", to_list(tasks)},
          {"chunk", chunk},
          {"execute", execute},
          {"action_dim", action_dim},
          {"loss", loss},
          {"augment_shift", augment_shift}};
}

BCConfig BCConfig::from_dict(const env::Dict& d) {
  BCConfig c;
  for (const auto& [key, v] : d) {
    if (key == "image_size")
      c.image_size = int_field(v, key);
    else if (key == "view_keys")
      c.view_keys = string_list(v, key);
    else if (key == "channels")
      c.channels = int_field(v, key);
    else if (key == "view_features")
      c.view_features = int_field(v, key);
    else if (key == "hidden")
      c.hidden = int_field(v, key);
    else if (key == "layers")
      c.layers = int_field(v, key);
    else if (key == "task_dim")
      c.task_dim = int_field(v, key);
    else if (key == "tasks")
      c.tasks = string_list(v, key);
    else if (key == "chunk")
      c.chunk = int_field(v, key);
    else if (key == "execute")
      c.execute = int_field(v, key);
    else if (key == "action_dim")
      c.action_dim = int_field(v, key);
    else if (key == "augment_shift")
      c.augment_shift = int_field(v, key);
    else if (key == "loss") {
      if (!v.is_string()) bad("field 'loss' should be a string, got " + env::describe(v));
      c.loss = v.as_string();
    } else {
      bad("unknown field '" + key +
          "'; expected one of: image_size, view_keys, channels, view_features, hidden, layers, task_dim, "
          "tasks, "
          "chunk, execute, action_dim, loss, augment_shift");
    }
  }
  return c;
}

// ---- BCNet ----

BCNetImpl::BCNetImpl(const BCConfig& config) : config_(config) {
  config_.validate();
  const int c = config_.channels;
  const int widths[5] = {3, c, 2 * c, 4 * c, 4 * c};
  torch::nn::Sequential cnn;
  for (int i = 0; i < 4; ++i) {
    const int out = widths[i + 1];
    cnn->push_back(torch::nn::Conv2d(torch::nn::Conv2dOptions(widths[i], out, 3).stride(2).padding(1)));
    // Under bf16 autocast the convolution returns bf16, which LibTorch 1.13's CPU GroupNorm does not take
    // with float32 weights: normalise in float32 (the next convolution casts back).
    cnn->push_back(torch::nn::Functional([](const torch::Tensor& x) { return x.to(torch::kFloat); }));
    cnn->push_back(torch::nn::GroupNorm(torch::nn::GroupNormOptions(std::gcd(8, out), out)));
    cnn->push_back(torch::nn::SiLU());
  }
  cnn_ = register_module("cnn", cnn);
  const int g = config_.image_size / 16;
  cnn_out_ = register_module("cnn_out", torch::nn::Linear(4 * c * g * g, config_.view_features));
  const auto views = static_cast<std::int64_t>(config_.view_keys.size());
  view_ = register_parameter("view", torch::randn({views, config_.view_features}) * 0.02);
  if (config_.task_dim > 0)
    task_ = register_module(
        "task",
        torch::nn::Embedding(std::max<std::int64_t>(1, static_cast<std::int64_t>(config_.tasks.size())),
                             config_.task_dim));
  torch::nn::Sequential mlp;
  std::int64_t in = views * config_.view_features + BCConfig::kProprioDim + config_.task_dim;
  for (int i = 0; i < config_.layers; ++i) {
    mlp->push_back(torch::nn::Linear(in, config_.hidden));
    mlp->push_back(torch::nn::SiLU());
    in = config_.hidden;
  }
  mlp->push_back(torch::nn::Linear(in, config_.chunk * config_.action_dim));
  mlp_ = register_module("mlp", mlp);
}

torch::Tensor BCNetImpl::forward(const torch::Tensor& images, const torch::Tensor& proprio,
                                 const torch::Tensor& task) {
  const auto b = images.size(0), v = images.size(1), s = images.size(3);
  auto x = cnn_->forward(images.reshape({b * v, 3, s, s}));
  x = cnn_out_(x.flatten(1)).to(torch::kFloat).reshape({b, v, config_.view_features}) + view_.unsqueeze(0);
  std::vector<torch::Tensor> parts{x.flatten(1), proprio.to(torch::kFloat)};
  if (task_) {
    // Rows with task -1 get no embedding (a zero vector): an unknown task still runs.
    const auto valid = task.ge(0).to(torch::kFloat).unsqueeze(1);
    parts.push_back(task_(task.clamp_min(0)).to(torch::kFloat) * valid);
  }
  return mlp_->forward(torch::cat(parts, 1))
      .to(torch::kFloat)
      .reshape({b, config_.chunk, config_.action_dim});
}

// ---- BCNormalizer ----

void BCNormalizer::add_to(Checkpoint& checkpoint) const {
  checkpoint.tensors["norm/proprio_mean"] = proprio_mean.to(torch::kCPU).clone();
  checkpoint.tensors["norm/proprio_std"] = proprio_std.to(torch::kCPU).clone();
  checkpoint.tensors["norm/action_mean"] = action_mean.to(torch::kCPU).clone();
  checkpoint.tensors["norm/action_std"] = action_std.to(torch::kCPU).clone();
}

BCNormalizer BCNormalizer::from(const Checkpoint& checkpoint) {
  BCNormalizer n;
  n.proprio_mean = checkpoint.at("norm/proprio_mean").to(torch::kFloat);
  n.proprio_std = checkpoint.at("norm/proprio_std").to(torch::kFloat);
  n.action_mean = checkpoint.at("norm/action_mean").to(torch::kFloat);
  n.action_std = checkpoint.at("norm/action_std").to(torch::kFloat);
  return n;
}

BCNormalizer BCNormalizer::to(torch::Device device) const {
  return {proprio_mean.to(device), proprio_std.to(device), action_mean.to(device), action_std.to(device)};
}

// ---- inputs ----

torch::Tensor resize_frames(const torch::Tensor& frames, int size) {
  if (frames.size(1) == size && frames.size(2) == size) return frames;
  namespace F = torch::nn::functional;
  const auto x = frames.permute({0, 3, 1, 2}).to(torch::kFloat);
  const std::vector<std::int64_t> to{size, size};
  const bool shrink = frames.size(1) >= size && frames.size(2) >= size;
  const auto y =
      shrink ? F::interpolate(x, F::InterpolateFuncOptions().size(to).mode(torch::kArea))
             : F::interpolate(
                   x, F::InterpolateFuncOptions().size(to).mode(torch::kBilinear).align_corners(false));
  return y.round().clamp(0, 255).to(torch::kUInt8).permute({0, 2, 3, 1}).contiguous();
}

torch::Tensor policy_views(const env::Dict& obs, const std::vector<std::string>& keys, int size,
                           const std::string& who) {
  std::vector<torch::Tensor> views;
  std::int64_t batch = -1;
  for (const auto& key : keys) {
    const auto it = obs.find(key);
    if (it == obs.end() || !it->second.is_array())
      throw InvalidArgument(who + ": expected observation '" + key + "' as uint8 [B, H, W, 3], got " +
                            (it == obs.end() ? std::string("none") : env::describe(it->second)));
    const env::Array& a = it->second.as_array();
    if (a.dtype() != env::DType::kUInt8 || a.ndim() != 4 || a.dim(3) != 3 || a.dim(1) < 1 || a.dim(2) < 1)
      throw InvalidArgument(who + ": expected observation '" + key + "' as uint8 [B, H, W, 3], got " +
                            shape_of(a));
    if (batch >= 0 && a.dim(0) != batch)
      throw InvalidArgument(who + ": observation '" + key + "' has " + std::to_string(a.dim(0)) +
                            " rows, earlier views " + std::to_string(batch));
    batch = a.dim(0);
    views.push_back(size > 0 ? resize_frames(view_of(a, torch::kUInt8), size) : view_of(a, torch::kUInt8));
  }
  return torch::stack(views, 1);  // copies: the result owns its memory
}

torch::Tensor policy_proprio(const env::Dict& obs, const std::string& who) {
  static const std::pair<const char*, std::int64_t> kParts[] = {
      {"ee_pos", 3}, {"ee_ori", 3}, {"gripper_states", 2}};
  std::vector<torch::Tensor> parts;
  std::int64_t batch = -1;
  for (const auto& [key, width] : kParts) {
    const auto it = obs.find(key);
    if (it == obs.end() || !it->second.is_array())
      throw InvalidArgument(who + ": expected observation '" + key + "' as float32 [B, " +
                            std::to_string(width) + "], got " +
                            (it == obs.end() ? std::string("none") : env::describe(it->second)));
    env::Array a = it->second.as_array();
    if (a.ndim() != 2 || a.dim(1) != width || (batch >= 0 && a.dim(0) != batch))
      throw InvalidArgument(who + ": expected observation '" + key + "' as float32 [" +
                            (batch >= 0 ? std::to_string(batch) : std::string("B")) + ", " +
                            std::to_string(width) + "], got " + shape_of(a));
    batch = a.dim(0);
    if (a.dtype() != env::DType::kFloat32) a = a.astype(env::DType::kFloat32);
    parts.push_back(view_of(a, torch::kFloat).clone());
  }
  return torch::cat(parts, 1);
}

// ---- BCPolicy ----

BCPolicy::BCPolicy(BCNet net, BCNormalizer norm, BCPolicyOptions options, std::string source)
    : net_(std::move(net)),
      options_(std::move(options)),
      source_(std::move(source)),
      device_(parse_device(options_.device, "BCPolicy")) {
  const auto& c = net_->config();
  if (options_.execute < 0 || options_.execute > c.chunk)
    throw InvalidArgument("BCPolicy: execute must be in [0, chunk = " + std::to_string(c.chunk) + "], got " +
                          std::to_string(options_.execute));
  execute_ = options_.execute > 0 ? options_.execute : c.execute;
  const auto check = [&](const torch::Tensor& t, std::int64_t n, const char* name) {
    if (!t.defined() || t.dim() != 1 || t.size(0) != n)
      throw InvalidArgument("BCPolicy " + source_ + ": statistics '" + name + "' should have " +
                            std::to_string(n) + " entries");
  };
  check(norm.proprio_mean, BCConfig::kProprioDim, "norm/proprio_mean");
  check(norm.proprio_std, BCConfig::kProprioDim, "norm/proprio_std");
  check(norm.action_mean, c.action_dim, "norm/action_mean");
  check(norm.action_std, c.action_dim, "norm/action_std");
  parse_precision(options_.precision, device_);  // refuses a bad name now
  net_->to(device_);
  net_->eval();
  norm_ = norm.to(device_);
  set_task(options_.task);
}

std::unique_ptr<BCPolicy> BCPolicy::load(const std::string& path, BCPolicyOptions options) {
  if (!std::filesystem::exists(path)) throw NotFound("BC policy " + path + ": no such file");
  return load(read_checkpoint(path), std::move(options));
}

std::unique_ptr<BCPolicy> BCPolicy::load(const Checkpoint& ck, BCPolicyOptions options) {
  const std::string& path = ck.source;
  const std::string kind = env::get_or(ck.meta, "kind", std::string());
  if (kind != kBCKind)
    throw InvalidArgument("BC policy " + path +
                          ": expected an a2w checkpoint of kind 'bc' (a2w policy train --kind "
                          "bc), got " +
                          (kind.empty()
                               ? std::string("one without a kind (an A2World world-model checkpoint?)")
                               : "kind '" + kind + "'"));
  if (!ck.meta.count("bc_config") || !env::get(ck.meta, "bc_config").is_dict())
    throw InvalidArgument("BC policy " + path + ": the checkpoint's meta has no bc_config");
  const BCConfig config = BCConfig::from_dict(env::get(ck.meta, "bc_config").as_dict());
  BCNet net(config);
  load_module(ck, *net, ck.has_prefix("ema/") ? "ema/" : "model/");
  return std::make_unique<BCPolicy>(std::move(net), BCNormalizer::from(ck), std::move(options), path);
}

void BCPolicy::set_task(const std::string& task) {
  options_.task = task;
  task_row_ = row_of(net_->config().tasks, task);
}

torch::Tensor BCPolicy::predict(const env::Dict& obs) {
  torch::NoGradGuard no_grad;
  const BCConfig& c = net_->config();
  const std::string who = "BCPolicy" + (source_.empty() ? std::string() : " " + source_);
  const torch::Tensor views = policy_views(obs, c.view_keys, c.image_size, who);
  const torch::Tensor proprio = policy_proprio(obs, who);
  const auto b = views.size(0);
  if (proprio.size(0) != b)
    throw InvalidArgument(who + ": the views have " + std::to_string(b) + " rows, the proprio " +
                          std::to_string(proprio.size(0)));
  const torch::Tensor images = bc_image_input(views.to(device_));
  const torch::Tensor p = (proprio.to(device_) - norm_.proprio_mean) / norm_.proprio_std;
  const torch::Tensor task = torch::full({b}, task_row_, torch::TensorOptions(torch::kLong).device(device_));
  torch::Tensor out;
  {
    PrecisionGuard guard(parse_precision(options_.precision, device_), device_);
    out = net_->forward(images, p, task);
  }
  out = out.to(torch::kFloat) * norm_.action_std + norm_.action_mean;
  return out.clamp(-1.0, 1.0).to(torch::kCPU).contiguous();
}

env::Array BCPolicy::act(const env::Dict& obs) {
  const torch::Tensor chunk = predict(obs).narrow(1, 0, execute_).contiguous();
  env::Array a(env::DType::kFloat32, {chunk.size(0), chunk.size(1), chunk.size(2)});
  std::memcpy(a.raw(), chunk.data_ptr<float>(), a.nbytes());
  return a;
}

void BCPolicy::save(const std::string& path, const env::Dict& extra_meta) const {
  Checkpoint ck;
  ck.meta = extra_meta;
  ck.meta["kind"] = std::string(kBCKind);
  ck.meta["bc_config"] = net_->config().to_dict();
  BCNet net = net_;  // a holder sharing the module: add_module reads it through a non-const reference
  add_module(ck, *net, "model/");
  norm_.add_to(ck);
  write_checkpoint(path, ck);
}

torch::Tensor bc_image_input(const torch::Tensor& views) {
  return views.permute({0, 1, 4, 2, 3}).to(torch::kFloat).div(127.5).sub(1.0);
}

}  // namespace a2w::wm
