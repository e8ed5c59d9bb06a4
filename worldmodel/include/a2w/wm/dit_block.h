#pragma once
// DiTBlock: one transformer block with adaLN-Zero conditioning (Peebles & Xie 2023, "Scalable Diffusion
// Models with Transformers"): the conditioning vector sets a shift, a scale and a gate for the attention and
// for the MLP branch. The projection that makes them starts at zero, so every block starts as the identity
// and the network first learns to copy c_skip x, which EDM makes a good start at every noise level.
//
//   x = x + gate_a * Attention(LN(x) * (1 + scale_a) + shift_a)
//   x = x + gate_m * MLP(LN(x) * (1 + scale_m) + shift_m)

#include <torch/torch.h>

namespace a2w::wm {

// LN(x) * (1 + scale) + shift, with shift and scale [B, W] broadcast over the tokens of x [B, N, W].
torch::Tensor modulate(const torch::Tensor& x, const torch::Tensor& shift, const torch::Tensor& scale);

// A linear map of tokens [B, N, in] -> [B, N, out] as one [B * N, in] GEMM with the bias fused in (addmm):
// LibTorch 1.13 runs a 3-D input as a matmul followed by a separate bias pass over the whole output.
torch::Tensor linear_tokens(torch::nn::Linear& layer, const torch::Tensor& x);

class DiTBlockImpl : public torch::nn::Module {
 public:
  DiTBlockImpl(int width, int heads, int mlp_ratio);
  // x f32 [B, N, width]; silu_condition f32 [B, width] (SiLU already applied, shared by all blocks).
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& silu_condition);

 private:
  torch::Tensor attention(const torch::Tensor& h);

  int width_, heads_;
  torch::nn::Linear qkv_{nullptr}, proj_{nullptr}, fc1_{nullptr}, fc2_{nullptr}, ada_{nullptr};
};
TORCH_MODULE(DiTBlock);

}  // namespace a2w::wm
