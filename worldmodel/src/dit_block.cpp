#include "a2w/wm/dit_block.h"

#include <cmath>

namespace a2w::wm {

torch::Tensor modulate(const torch::Tensor& x, const torch::Tensor& shift, const torch::Tensor& scale) {
  const auto n = torch::layer_norm(x, {x.size(-1)}, {}, {}, 1e-6);
  return torch::addcmul(shift.unsqueeze(1), n, 1 + scale.unsqueeze(1));
}

torch::Tensor linear_tokens(torch::nn::Linear& l, const torch::Tensor& x) {
  const auto b = x.size(0), n = x.size(1);
  return torch::linear(x.reshape({b * n, x.size(2)}), l->weight, l->bias).view({b, n, -1});
}

DiTBlockImpl::DiTBlockImpl(int width, int heads, int mlp_ratio) : width_(width), heads_(heads) {
  qkv_ = register_module("qkv", torch::nn::Linear(width, 3 * width));
  proj_ = register_module("proj", torch::nn::Linear(width, width));
  fc1_ = register_module("fc1", torch::nn::Linear(width, mlp_ratio * width));
  fc2_ = register_module("fc2", torch::nn::Linear(mlp_ratio * width, width));
  ada_ = register_module("ada", torch::nn::Linear(width, 6 * width));
  torch::NoGradGuard no_grad;
  for (auto* l : {&qkv_, &proj_, &fc1_, &fc2_}) {
    torch::nn::init::xavier_uniform_((*l)->weight);
    torch::nn::init::zeros_((*l)->bias);
  }
  // adaLN-Zero: gates start at 0, so the block starts as the identity.
  torch::nn::init::zeros_(ada_->weight);
  torch::nn::init::zeros_(ada_->bias);
}

torch::Tensor DiTBlockImpl::attention(const torch::Tensor& h) {
  const auto b = h.size(0), n = h.size(1);
  const int d = width_ / heads_;
  // [B, N, 3W] -> [3, B * heads, N, d] in one copy, so that q, k and v are contiguous slices for bmm.
  const auto qkv = linear_tokens(qkv_, h)
                       .view({b, n, 3, heads_, d})
                       .permute({2, 0, 3, 1, 4})
                       .reshape({3, b * heads_, n, d});
  // scores = (q / sqrt(d)) k^T; k^T is a strided view that bmm reads without a copy.
  const auto q = qkv[0] * (1.0 / std::sqrt(static_cast<double>(d)));
  const auto scores = torch::bmm(q, qkv[1].transpose(1, 2)).softmax(-1);
  const auto o = torch::bmm(scores, qkv[2]).view({b, heads_, n, d}).transpose(1, 2).reshape({b, n, width_});
  return linear_tokens(proj_, o);
}

torch::Tensor DiTBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& silu_condition) {
  const auto m = ada_(silu_condition).chunk(6, -1);  // shift_a, scale_a, gate_a, shift_m, scale_m, gate_m
  auto y = torch::addcmul(x, m[2].unsqueeze(1), attention(modulate(x, m[0], m[1])));
  // The exact (erf) GELU: in LibTorch 1.13 on CPU the tanh approximation is not vectorised and costs 10x
  // more.
  const auto hidden = torch::gelu(linear_tokens(fc1_, modulate(y, m[3], m[4])));
  return torch::addcmul(y, m[5].unsqueeze(1), linear_tokens(fc2_, hidden));
}

}  // namespace a2w::wm
