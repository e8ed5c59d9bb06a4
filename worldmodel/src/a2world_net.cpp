#include "a2w/wm/a2world_net.h"

#include <cmath>
#include <string>

#include "a2w/env/error.h"
#include "a2w/wm/edm.h"

namespace a2w::wm {

torch::Tensor patchify(const torch::Tensor& x, int patch) {
  const auto b = x.size(0), v = x.size(1), c = x.size(2), h = x.size(3), w = x.size(4);
  return x.reshape({b, v, c, h / patch, patch, w / patch, patch})
      .permute({0, 1, 3, 5, 2, 4, 6})
      .reshape({b, v * (h / patch) * (w / patch), c * patch * patch});
}

torch::Tensor unpatchify(const torch::Tensor& tokens, int views, int image_size, int patch) {
  const auto b = tokens.size(0);
  const int g = image_size / patch;
  return tokens.reshape({b, views, g, g, 3, patch, patch})
      .permute({0, 1, 4, 2, 5, 3, 6})
      .reshape({b, views, 3, image_size, image_size});
}

std::int64_t parameter_count(torch::nn::Module& module) {
  std::int64_t n = 0;
  for (const auto& p : module.parameters()) n += p.numel();
  return n;
}

A2WorldNetImpl::A2WorldNetImpl(const WorldModelConfig& config) : config_(config) {
  config_.validate();
  const int w = config_.width, p = config_.patch;
  const int ctx_channels = config_.context_channels();
  noisy_embed_ =
      register_module("noisy_embed", torch::nn::Linear(torch::nn::LinearOptions(3 * p * p, w).bias(false)));
  context_embed_ = register_module("context_embed", torch::nn::Linear(ctx_channels * p * p, w));
  position_ = register_parameter("position", torch::randn({config_.tokens_per_view(), w}) * 0.02);
  view_ = register_parameter("view", torch::randn({config_.views, w}) * 0.02);

  // EDM's positional embedding of a scalar (frequencies 1 .. 1e-4), on 10x the feature so that the range of
  // c_noise (about -1.6 .. 0.75) spans several periods of the fastest sinusoids.
  const int half = w / 2;
  frequencies_ = register_buffer(
      "frequencies", 10.0 * torch::pow(1e-4, torch::arange(half, torch::kFloat32) / std::max(half - 1, 1)));
  noise_fc1_ = register_module("noise_fc1", torch::nn::Linear(2 * half, w));
  noise_fc2_ = register_module("noise_fc2", torch::nn::Linear(w, w));
  ctx_fc1_ = register_module("ctx_noise_fc1", torch::nn::Linear(2 * half, w));
  ctx_fc2_ = register_module("ctx_noise_fc2", torch::nn::Linear(w, w));
  action_fc1_ =
      register_module("action_fc1", torch::nn::Linear(config_.action_horizon * config_.action_dim, w));
  action_fc2_ = register_module("action_fc2", torch::nn::Linear(w, w));
  task_ = register_module("task", torch::nn::Embedding(config_.task_slots, w));
  const int sd = config_.state_dim;
  if (config_.state_input) {
    state_fc1_ = register_module("state_fc1", torch::nn::Linear(2 * sd, w));
    state_fc2_ = register_module("state_fc2", torch::nn::Linear(w, w));
  }

  for (int i = 0; i < config_.depth; ++i)
    blocks_.push_back(
        register_module("block" + std::to_string(i), DiTBlock(w, config_.heads, config_.mlp_ratio)));
  final_ada_ = register_module("final_ada", torch::nn::Linear(w, 2 * w));
  final_out_ = register_module("final_out", torch::nn::Linear(w, 3 * p * p));

  const int tokens = config_.views * config_.tokens_per_view();
  head_tokens_ = register_module("head_tokens", torch::nn::Linear(w, config_.head_token_dim));
  const int head_extra = config_.state_input ? 2 * sd + config_.action_horizon * config_.action_dim : 0;
  head_fc1_ =
      register_module("head_fc1", torch::nn::Linear(w + tokens * config_.head_token_dim + head_extra, w));
  head_fc2_ = register_module("head_fc2", torch::nn::Linear(w, w));
  head_out_ = register_module("head_out", torch::nn::Linear(w, config_.state_dim + 2));

  torch::NoGradGuard no_grad;
  for (auto* l : {&noisy_embed_, &context_embed_}) torch::nn::init::xavier_uniform_((*l)->weight);
  torch::nn::init::zeros_(context_embed_->bias);
  // A new task row (or adaptation's added one) starts as "no task": the task-agnostic prior.
  torch::nn::init::zeros_(task_->weight);
  // adaLN-Zero and a zero output layer: F starts at 0, so D(x) = c_skip x; the heads start at the mean state.
  // With state_input the state starts unchanged from step to step, and the frames unconditioned on it.
  for (auto* l : {&final_ada_, &final_out_, &head_out_, &state_fc2_}) {
    if (!*l) continue;
    torch::nn::init::zeros_((*l)->weight);
    torch::nn::init::zeros_((*l)->bias);
  }
}

torch::Tensor A2WorldNetImpl::embed_scalar(const torch::Tensor& x, torch::nn::Linear& fc1,
                                           torch::nn::Linear& fc2) {
  const auto arg = x.to(torch::kFloat32).unsqueeze(1) * frequencies_.unsqueeze(0);
  return fc2(torch::silu(fc1(torch::cat({arg.cos(), arg.sin()}, 1))));
}

torch::Tensor A2WorldNetImpl::embed_context(const torch::Tensor& context, const torch::Tensor& anchor) {
  const auto b = context.size(0);
  const int v = config_.views, s = config_.image_size;
  auto frames = config_.anchor_frame ? torch::cat({context, anchor.unsqueeze(2)}, 2) : context;
  frames = frames.reshape({b, v, config_.context_channels(), s, s});
  const auto tokens = linear_tokens(context_embed_, patchify(frames, config_.patch));  // [B, V*T, W]
  const auto pos = (view_.unsqueeze(1) + position_.unsqueeze(0)).reshape({1, -1, config_.width});
  return tokens + pos;
}

Condition A2WorldNetImpl::embed_condition(const torch::Tensor& context_sigma, const torch::Tensor& actions,
                                          const torch::Tensor& task, const torch::Tensor& state,
                                          const torch::Tensor& state_mask) {
  const auto b = actions.size(0);
  const auto flat_actions = actions.reshape({b, -1});
  auto cond = embed_scalar(context_noise_feature(context_sigma), ctx_fc1_, ctx_fc2_) +
              action_fc2_(torch::silu(action_fc1_(flat_actions)));
  const auto has_task = task.ge(0);
  const auto rows = task_(task.clamp_min(0));
  Condition out;
  out.vector = cond + rows * has_task.unsqueeze(1).to(rows.scalar_type());
  if (config_.state_input) {
    const std::vector<std::int64_t> shape{b, config_.state_dim};
    if (!state.defined() || !state_mask.defined() || state.sizes() != c10::IntArrayRef(shape) ||
        state_mask.sizes() != c10::IntArrayRef(shape))
      throw InvalidArgument(
          "A2WorldNet: this model (state_input) expects the current normalised state and its "
          "mask as f32 [" +
          std::to_string(b) + ", " + std::to_string(config_.state_dim) + "], got " +
          (state.defined() ? c10::str(state.sizes()) : std::string("none")));
    const auto mask = state_mask.to(torch::kFloat32);
    const auto features = torch::cat({state.to(torch::kFloat32) * mask, mask}, 1);
    out.vector = out.vector + state_fc2_(torch::silu(state_fc1_(features)));
    out.head = torch::cat({features, flat_actions.to(torch::kFloat32)}, 1);
  }
  return out;
}

NetOutput A2WorldNetImpl::forward(const torch::Tensor& scaled_noisy, const torch::Tensor& context_tokens,
                                  const Condition& condition, const torch::Tensor& c_noise, bool heads) {
  // Noisy-target tokens plus the context tokens in one GEMM (the context tokens ride as addmm's input).
  const auto patches = patchify(scaled_noisy, config_.patch);
  const auto b = patches.size(0), n = patches.size(1);
  auto x = torch::addmm(context_tokens.reshape({b * n, config_.width}),
                        patches.reshape({b * n, patches.size(2)}), noisy_embed_->weight.t())
               .view({b, n, config_.width});
  const auto silu_cond = torch::silu(condition.vector + embed_scalar(c_noise, noise_fc1_, noise_fc2_));
  for (auto& block : blocks_) x = block->forward(x, silu_cond);

  NetOutput out;
  const auto fm = final_ada_(silu_cond).chunk(2, -1);
  // Outputs in float32 whatever the precision of the products (precision.h).
  out.f = unpatchify(linear_tokens(final_out_, modulate(x, fm[0], fm[1])), config_.views, config_.image_size,
                     config_.patch)
              .to(torch::kFloat32);
  if (heads) {
    const auto t = torch::layer_norm(x, {config_.width}, {}, {}, 1e-6);
    auto features = torch::cat({t.mean(1), linear_tokens(head_tokens_, t).flatten(1)}, 1);
    if (config_.state_input) features = torch::cat({features, condition.head.to(features.scalar_type())}, 1);
    const auto h = head_out_(torch::silu(head_fc2_(torch::silu(head_fc1_(features))))).to(torch::kFloat32);
    out.state = h.narrow(1, 0, config_.state_dim);
    out.success_logit = h.select(1, config_.state_dim);
    out.reward = h.select(1, config_.state_dim + 1);
  }
  return out;
}

std::pair<torch::Tensor, torch::Tensor> A2WorldNetImpl::forward_joint(
    const torch::Tensor& scaled_noisy, const torch::Tensor& context_tokens, const Condition& condition,
    const torch::Tensor& c_noise, const torch::Tensor& extra, const torch::Tensor& extra_condition) {
  const auto patches = patchify(scaled_noisy, config_.patch);
  const auto b = patches.size(0), n = patches.size(1);
  auto frames = torch::addmm(context_tokens.reshape({b * n, config_.width}),
                             patches.reshape({b * n, patches.size(2)}), noisy_embed_->weight.t())
                    .view({b, n, config_.width});
  auto x = torch::cat({frames, extra.to(frames.scalar_type())}, 1);
  const auto silu_cond =
      torch::silu(condition.vector + embed_scalar(c_noise, noise_fc1_, noise_fc2_) + extra_condition);
  for (auto& block : blocks_) x = block->forward(x, silu_cond);
  const auto fm = final_ada_(silu_cond).chunk(2, -1);
  const auto modulated = modulate(x, fm[0], fm[1]);
  auto f = unpatchify(linear_tokens(final_out_, modulated.narrow(1, 0, n)), config_.views, config_.image_size,
                      config_.patch)
               .to(torch::kFloat32);
  return {f, modulated.narrow(1, n, x.size(1) - n)};
}

}  // namespace a2w::wm
