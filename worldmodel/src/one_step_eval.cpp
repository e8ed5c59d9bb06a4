#include "a2w/wm/one_step_eval.h"

#include <cmath>
#include <limits>

#include "a2w/env/state.h"
#include "a2w/wm/image_metrics.h"

namespace a2w::wm {

env::Dict OneStepMetrics::to_dict() const {
  return {{"windows", windows},
          {"psnr", psnr},
          {"psnr_copy_last", psnr_copy_last},
          {"psnr_moving", psnr_moving},
          {"psnr_moving_copy_last", psnr_moving_copy_last},
          {"ee_error_cm", ee_error_cm},
          {"ee_error_cm_copy_last", ee_error_cm_copy_last},
          {"object_error_cm", object_error_cm},
          {"object_error_cm_copy_last", object_error_cm_copy_last},
          {"success_accuracy", success_accuracy}};
}

OneStepMetrics evaluate_one_step(A2World& model, const WindowLoader& loader, std::int64_t windows) {
  const auto& c = model.config();
  const auto& episodes = loader.index().episodes();
  torch::NoGradGuard no_grad;
  double sse = 0, sse_copy = 0, count = 0, sse_m = 0, sse_m_copy = 0, count_m = 0;
  double ee = 0, ee_copy = 0, n_ee = 0, obj = 0, obj_copy = 0, n_obj = 0, correct = 0;
  OneStepMetrics m;
  for (std::int64_t step = 0; m.windows < windows; ++step) {
    const auto batch = loader.batch(step);
    WorldModelInput in;
    in.context = batch.history.narrow(2, 1, c.context_frames);
    in.anchor = batch.anchor;
    in.actions = batch.actions;
    in.task = batch.task;
    in.state = batch.state_in;  // the true state at frame t: one step, from the truth
    in.state_mask = batch.state_mask;
    for (std::int64_t i = 0; i < batch.size(); ++i)
      in.seeds.push_back(static_cast<std::uint64_t>(m.windows + i));
    const auto out = model.predict(in);

    const auto truth = batch.target.to(torch::kFloat32);
    const auto last = batch.history.select(2, c.context_frames).to(torch::kFloat32);
    const auto pred = out.frames.to(torch::kCPU).to(torch::kFloat32);
    const auto moving = (truth - last).abs().amax(-1, true).gt(c.moving_pixel_threshold).expand_as(truth);
    const auto e = (pred - truth).square(), e_copy = (last - truth).square();
    sse += e.sum().item<double>();
    sse_copy += e_copy.sum().item<double>();
    count += static_cast<double>(e.numel());
    sse_m += e.masked_select(moving).sum().item<double>();
    sse_m_copy += e_copy.masked_select(moving).sum().item<double>();
    count_m += moving.sum().item<double>();

    const auto state = out.state.to(torch::kCPU);
    const auto success = out.success.to(torch::kCPU);
    for (std::int64_t i = 0; i < batch.size(); ++i) {
      correct += (success[i].item<float>() > 0.5f) == (batch.success[i].item<float>() > 0.5f);
      const auto t = batch.step[static_cast<std::size_t>(i)];
      if (t < 1) continue;
      const auto& ep = episodes[batch.episode[static_cast<std::size_t>(i)]];
      const float* before = ep.state.data<float>() + (t - 1) * c.state_dim;  // state after action t - 1
      const float* mask = batch.state_mask[i].data_ptr<float>();
      const float* label = batch.state[i].data_ptr<float>();
      const float* guess = state[i].data_ptr<float>();
      auto dist = [&](const float* a, int at) {
        double d2 = 0;
        for (int j = at; j < at + 3; ++j) d2 += (a[j] - label[j]) * (a[j] - label[j]);
        return 100.0 * std::sqrt(d2);
      };
      if (mask[env::kStateEePos] > 0.5f) {
        ee += dist(guess, env::kStateEePos);
        ee_copy += dist(before, env::kStateEePos);
        n_ee += 1;
      }
      if (mask[env::kStateObjectsAt] > 0.5f) {
        obj += dist(guess, env::kStateObjectsAt);
        obj_copy += dist(before, env::kStateObjectsAt);
        n_obj += 1;
      }
    }
    m.windows += batch.size();
  }
  const double nan = std::numeric_limits<double>::quiet_NaN();
  m.psnr = psnr_from_sse(sse, count);
  m.psnr_copy_last = psnr_from_sse(sse_copy, count);
  m.psnr_moving = psnr_from_sse(sse_m, count_m);
  m.psnr_moving_copy_last = psnr_from_sse(sse_m_copy, count_m);
  m.ee_error_cm = n_ee ? ee / n_ee : nan;
  m.ee_error_cm_copy_last = n_ee ? ee_copy / n_ee : nan;
  m.object_error_cm = n_obj ? obj / n_obj : nan;
  m.object_error_cm_copy_last = n_obj ? obj_copy / n_obj : nan;
  m.success_accuracy = correct / static_cast<double>(m.windows);
  return m;
}

}  // namespace a2w::wm
