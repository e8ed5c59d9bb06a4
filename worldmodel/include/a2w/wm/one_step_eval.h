#pragma once
// One-step fidelity on held-out windows, beside copy-the-last-frame: what a training run reports to show that
// it learns. (Open-loop rollouts over many steps, erase baselines and videos are `a2w wm eval`'s job.)
//
// PSNR is over uint8 frames of every view, 10 log10(255^2 / MSE) with the MSE pooled over all windows;
// "moving" restricts the MSE to pixels where the true next frame differs from the true last context frame (by
// more than the config's moving_pixel_threshold), the parts a blurry model erases. Position errors are
// Euclidean, in cm, over windows with t >= 1 (where the state before the step, copy-last's guess, is known)
// and where the entry is present (mask).

#include <cstdint>

#include "a2w/env/value.h"
#include "a2w/wm/a2world.h"
#include "a2w/wm/window_loader.h"

namespace a2w::wm {

struct OneStepMetrics {
  std::int64_t windows = 0;
  double psnr = 0, psnr_copy_last = 0;
  double psnr_moving = 0, psnr_moving_copy_last = 0;
  double ee_error_cm = 0, ee_error_cm_copy_last = 0;          // tool centre point, state[9:12]
  double object_error_cm = 0, object_error_cm_copy_last = 0;  // first task object, state[15:18]
  double success_accuracy = 0;                                // success head (p > 0.5) against the label
  env::Dict to_dict() const;
};

// The windows of loader.batch(0), batch(1), ... until `windows` are seen.
OneStepMetrics evaluate_one_step(A2World& model, const WindowLoader& loader, std::int64_t windows);

}  // namespace a2w::wm
