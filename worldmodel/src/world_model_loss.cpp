#include "a2w/wm/world_model_loss.h"

#include "a2w/wm/edm.h"
#include "a2w/wm/frames.h"
#include "a2w/wm/sampler.h"

namespace a2w::wm {

namespace {

torch::Tensor per_row(const torch::Tensor& v, int dims) {
  std::vector<std::int64_t> shape(static_cast<std::size_t>(dims), 1);
  shape[0] = -1;
  return v.view(shape);
}

}  // namespace

LossTerms world_model_loss(A2WorldNet& net, const TrainBatch& batch, const StateNormalizer& normalizer,
                           at::Generator& gen, bool self_forcing) {
  const auto& c = net->config();
  const auto device = batch.history.device();
  const std::int64_t b = batch.size(), k = c.context_frames;
  // Random draws on the CPU generator, in a fixed order, then moved: the same numbers on every device.
  auto cpu_randn = [&](std::vector<std::int64_t> shape) { return torch::randn(shape, gen).to(device); };
  auto cpu_rand = [&](std::vector<std::int64_t> shape) { return torch::rand(shape, gen).to(device); };

  const auto history = frames_to_model(batch.history);  // [B, V, K + 1, 3, H, W]
  auto context = history.narrow(2, 1, k).clone();       // [B, V, K, 3, H, W]
  const auto anchor = frames_to_model(batch.anchor);
  const auto x0 = frames_to_model(batch.target);  // [B, V, 3, H, W]
  // Moving pixels: judged against the true last context frame, before any self-forcing replaces it.
  const auto moving =
      (x0 - history.select(2, k)).abs().amax(2, true).gt(2.0 * c.moving_pixel_threshold / 255.0);
  const auto weight = 1.0 + c.moving_pixel_weight * moving.to(torch::kFloat32);

  LossTerms terms;
  torch::Tensor sf_rows, sf_state;  // state self-forcing: the rows, and their own predicted normalised state
  const auto sf_draw = cpu_rand({b});
  if (self_forcing && c.self_forcing_prob > 0) {
    const auto rows = (sf_draw.lt(c.self_forcing_prob) & batch.has_prev).nonzero().view({-1});
    terms.self_forced = rows.numel();
    if (terms.self_forced > 0) {
      torch::NoGradGuard no_grad;
      const auto n = rows.numel();
      // As at inference: the context noised at the inference level.
      auto sf_context = history.index_select(0, rows).narrow(2, 0, k);
      sf_context = sf_context + c.context_noise_infer * torch::randn(sf_context.sizes(), gen).to(device);
      const auto tokens = net->embed_context(sf_context, anchor.index_select(0, rows));
      const auto level = torch::full({n}, c.context_noise_infer, x0.options());
      const auto prev_z =
          c.state_input ? normalizer.normalize(batch.prev_state_in.index_select(0, rows)) : torch::Tensor();
      const auto cond = net->embed_condition(
          level, batch.prev_actions.index_select(0, rows), batch.task.index_select(0, rows), prev_z,
          c.state_input ? batch.state_mask.index_select(0, rows) : torch::Tensor());
      auto noise = torch::randn({n, c.views, 3, c.image_size, c.image_size}, gen).to(device);
      const auto own = sample_next_frames(net, tokens, cond, noise, c.self_forcing_steps, false);
      context.select(2, k - 1).index_copy_(0, rows, own.frames);
      if (c.state_input && c.state_self_forcing) {
        sf_rows = rows;
        sf_state = normalizer.apply_change(prev_z, own.heads.state);
      }
    }
  }

  // Context-noise augmentation, its level fed to the model.
  const auto context_sigma = cpu_rand({b}) * c.context_noise_train_max;
  const auto noisy_context = context + per_row(context_sigma, 6) * cpu_randn(context.sizes().vec());

  const auto sigma = (cpu_randn({b}) * c.p_std + c.p_mean).exp().clamp(c.sigma_min, c.train_sigma_max);
  const auto noisy = x0 + per_row(sigma, 5) * cpu_randn(x0.sizes().vec());
  const auto s = edm_scaling(sigma, c.sigma_data);

  // The current state, noised a little so that the change head learns to live with its own drift.
  torch::Tensor state_in;
  if (c.state_input) {
    const auto level = cpu_rand({b}) * c.state_input_noise;
    state_in = normalizer.normalize(batch.state_in) +
               per_row(level, 2) * cpu_randn({b, static_cast<std::int64_t>(c.state_dim)});
    // As at inference, the self-forced rows start from their own predicted state (no noise added: it has
    // its own errors).
    if (sf_state.defined()) state_in.index_copy_(0, sf_rows, sf_state.to(state_in.scalar_type()));
  }

  const auto tokens = net->embed_context(noisy_context, anchor);
  const auto cond = net->embed_condition(context_sigma, batch.actions, batch.task, state_in,
                                         c.state_input ? batch.state_mask : torch::Tensor());
  const auto out = net->forward(noisy * per_row(s.c_in, 5), tokens, cond, s.c_noise, true);
  const auto f_target = (x0 - per_row(s.c_skip, 5) * noisy) / per_row(s.c_out, 5);
  const auto denoise = (weight * (out.f - f_target).square()).mean();

  // With state_input the head's target is the change in units of its per-step spread, so that every entry's
  // one-step motion weighs alike (and the axis-angle wrap of a gripper pointing down does not swamp the
  // rest).
  const auto z = normalizer.normalize(batch.state);
  const auto target = c.state_input ? normalizer.change_between(state_in, z) : z;
  const auto state =
      (batch.state_mask * (out.state - target).square()).sum() / batch.state_mask.sum().clamp_min(1.0);
  const auto success = torch::binary_cross_entropy_with_logits(out.success_logit, batch.success);
  const auto reward = (out.reward - batch.reward).square().mean();

  terms.total =
      denoise + c.state_loss_weight * state + c.success_loss_weight * success + c.reward_loss_weight * reward;
  terms.denoise = denoise.item<double>();
  terms.state = state.item<double>();
  terms.success = success.item<double>();
  terms.reward = reward.item<double>();
  return terms;
}

}  // namespace a2w::wm
