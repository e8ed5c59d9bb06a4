#pragma once
// Image-quality metrics on 8-bit frames, as the world-model evaluations report them.
//
// PSNR: 10 log10(255^2 / MSE), the MSE pooled over every pixel and channel counted (so frames with more
// moving pixels weigh more when the pool is a moving region); 99 dB when the MSE is 0, NaN when nothing was
// counted. SSIM: Wang et al. (2004) with their constants (11x11 Gaussian window, sigma 1.5, K1 = 0.01, K2 =
// 0.03, L = 255), computed per RGB channel over the window positions that fit inside the image, then
// averaged.

#include <torch/torch.h>

namespace a2w::wm {

double psnr_from_sse(double sse, double count);

// Mean SSIM of each pair: a and b are [N, H, W, 3] (uint8, or float in 0..255), H and W >= 11; returns f64
// [N]. Throws InvalidArgument for other shapes.
torch::Tensor ssim(const torch::Tensor& a, const torch::Tensor& b);

}  // namespace a2w::wm
