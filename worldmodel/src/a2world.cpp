#include "a2w/wm/a2world.h"

#include <numeric>
#include <string>

#include "a2w/env/error.h"
#include "a2w/wm/frames.h"
#include "a2w/wm/sampler.h"

namespace a2w::wm {

namespace {

std::string shape_text(torch::IntArrayRef s) {
  std::string t = "[";
  for (std::size_t i = 0; i < s.size(); ++i) t += (i ? ", " : "") + std::to_string(s[i]);
  return t + "]";
}

void check(const torch::Tensor& t, const char* name, torch::ScalarType dtype,
           std::vector<std::int64_t> shape) {
  const std::string expected = std::string(c10::toString(dtype)) + " " + shape_text(shape);
  if (!t.defined())
    throw InvalidArgument(std::string("A2World::predict: expected input.") + name + " " + expected +
                          ", got none");
  if (t.scalar_type() != dtype || t.sizes() != torch::IntArrayRef(shape))
    throw InvalidArgument(std::string("A2World::predict: expected input.") + name + " " + expected +
                          ", got " + c10::toString(t.scalar_type()) + " " + shape_text(t.sizes()));
}

}  // namespace

A2World::A2World(const WorldModelConfig& config, torch::Device device)
    : A2World(config, StateNormalizer::identity(config.state_dim), device) {}

A2World::A2World(const WorldModelConfig& config, StateNormalizer normalizer, torch::Device device)
    : config_(config), device_(device), net_(config), normalizer_(normalizer.to(device)) {
  net_->to(device_);
  net_->eval();
  precision_ = parse_precision("auto", device_);
  set_sampler(config_.sampling_steps, config_.sampler);
}

std::shared_ptr<A2World> A2World::from_checkpoint(const Checkpoint& checkpoint, torch::Device device,
                                                  bool use_ema) {
  const StateNormalizer norm = read_normalizer(checkpoint);
  auto wm = std::make_shared<A2World>(checkpoint.config, norm, device);
  const bool ema = use_ema && checkpoint.has_prefix("ema/");
  load_module(checkpoint, *wm->net(), ema ? "ema/" : "model/");
  return wm;
}

std::shared_ptr<A2World> A2World::load(const std::string& path, torch::Device device, bool use_ema) {
  return from_checkpoint(read_checkpoint(path), device, use_ema);
}

void A2World::save(const std::string& path, torch::ScalarType dtype, env::Dict meta) {
  Checkpoint ck;
  ck.config = config_;
  ck.meta = std::move(meta);
  ck.meta["inference_only"] = true;
  for (const auto& p : net_->named_parameters())
    ck.tensors["ema/" + p.key()] = p.value().detach().to(torch::kCPU, dtype);
  for (const auto& b : net_->named_buffers())
    ck.tensors["ema/" + b.key()] = b.value().detach().to(torch::kCPU);
  add_normalizer(ck, normalizer_);
  write_checkpoint(path, ck);
}

void A2World::set_sampler(int steps, const std::string& sampler) {
  if (steps < 1)
    throw InvalidArgument("A2World::set_sampler: expected at least 1 step, got " + std::to_string(steps));
  if (sampler != "euler" && sampler != "heun")
    throw InvalidArgument("A2World::set_sampler: expected sampler \"euler\" or \"heun\", got \"" + sampler +
                          "\"");
  steps_ = steps;
  heun_ = sampler == "heun";
}

void A2World::set_normalizer(StateNormalizer normalizer) {
  normalizer_ = normalizer.to(device_);
}

WorldModelOutput A2World::predict(const WorldModelInput& input) {
  const auto& c = config_;
  if (!input.context.defined() || input.context.dim() < 1)
    throw InvalidArgument("A2World::predict: expected input.context uint8 [B, V, K, H, W, 3], got none");
  const std::int64_t b = input.context.size(0), v = c.views, k = c.context_frames, s = c.image_size;
  check(input.context, "context", torch::kUInt8, {b, v, k, s, s, 3});
  check(input.anchor, "anchor", torch::kUInt8, {b, v, s, s, 3});
  check(input.actions, "actions", torch::kFloat32, {b, c.action_horizon, c.action_dim});
  torch::Tensor task;
  if (input.task.defined()) {
    check(input.task, "task", torch::kInt64, {b});
    const auto lo = b ? input.task.min().item<std::int64_t>() : 0,
               hi = b ? input.task.max().item<std::int64_t>() : 0;
    if (lo < -1 || hi >= static_cast<std::int64_t>(c.tasks.size()))
      throw InvalidArgument("A2World::predict: expected input.task rows in [-1, " +
                            std::to_string(c.tasks.size()) + ") (the model knows " +
                            std::to_string(c.tasks.size()) + " tasks), got values in [" + std::to_string(lo) +
                            ", " + std::to_string(hi) + "]");
    task = input.task.to(device_);
  } else {
    task = torch::full({b}, -1, torch::TensorOptions().dtype(torch::kInt64).device(device_));
  }
  std::vector<std::uint64_t> seeds = input.seeds;
  if (seeds.empty()) {
    seeds.resize(static_cast<std::size_t>(b));
    std::iota(seeds.begin(), seeds.end(), 0);
  }
  if (static_cast<std::int64_t>(seeds.size()) != b)
    throw InvalidArgument("A2World::predict: expected " + std::to_string(b) +
                          " seeds (one per row) or none, got " + std::to_string(seeds.size()));

  torch::NoGradGuard no_grad;
  auto context = frames_to_model(input.context.to(device_));  // [B, V, K, 3, H, W]
  const auto anchor = frames_to_model(input.anchor.to(device_));
  const double sc = c.context_noise_infer;
  if (sc > 0) context = context + sc * seeded_normal(seeds, 1, {v, k, 3, s, s}, device_);
  const auto noise = seeded_normal(seeds, 0, {v, 3, s, s}, device_);
  const auto opts = torch::TensorOptions().dtype(torch::kFloat32).device(device_);
  PrecisionGuard precision(precision_, device_);
  const auto tokens = net_->embed_context(context, anchor);
  torch::Tensor state, state_mask, z;
  if (c.state_input) {
    if (!input.state.defined() || !input.state_mask.defined())
      throw InvalidArgument(
          "A2World::predict: this model imagines the next state from the current one; expected input.state "
          "and input.state_mask f32 [B, " +
          std::to_string(c.state_dim) + "], got " + (input.state.defined() ? "no state_mask" : "no state"));
    check(input.state, "state", torch::kFloat32, {b, c.state_dim});
    check(input.state_mask, "state_mask", torch::kFloat32, {b, c.state_dim});
    state = input.state.to(device_);
    state_mask = input.state_mask.to(device_);
    z = normalizer_.normalize(state);  // the network masks it
  }
  const auto cond =
      net_->embed_condition(torch::full({b}, sc, opts), input.actions.to(device_), task, z, state_mask);
  const auto r = sample_next_frames(net_, tokens, cond, noise, steps_, heun_);

  WorldModelOutput out;
  out.frames = frames_to_uint8(r.frames);
  out.state =
      normalizer_.denormalize(c.state_input ? normalizer_.apply_change(z, r.heads.state) : r.heads.state);
  // Entries the task does not have stay as they came (zeros), not the normaliser's mean.
  if (c.state_input) out.state = out.state * state_mask + state * (1 - state_mask);
  out.success = torch::sigmoid(r.heads.success_logit);
  out.reward = r.heads.reward;
  return out;
}

}  // namespace a2w::wm
