#pragma once
// AdamW (Loshchilov & Hutter 2019: Adam with decoupled weight decay), written out here rather than taken from
// torch::optim so that its state is a few named tensors a checkpoint stores without pickle, and a resumed run
// continues bit for bit. Same update as torch.optim.AdamW:
//
//   p -= lr * wd * p          (only for matrices: weights of linear maps; not biases, embeddings, positions)
//   m = b1 m + (1 - b1) g,  v = b2 v + (1 - b2) g^2
//   p -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "a2w/wm/checkpoint.h"

namespace a2w::wm {

struct AdamWOptions {
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.01;
};

class AdamW {
 public:
  // Optimises every parameter of `module` (by name; decays the 2-D weights of linear maps).
  AdamW(torch::nn::Module& module, AdamWOptions options = {});

  // One update with learning rate `lr` from the parameters' .grad() (parameters without a gradient are
  // skipped, as torch does).
  void step(double lr);
  void zero_grad();
  std::int64_t steps() const { return steps_; }

  // State as "<prefix><param>/exp_avg" and ".../exp_avg_sq" tensors, and the step count in
  // meta[prefix+"steps"].
  void save(Checkpoint& checkpoint, const std::string& prefix) const;
  // Throws InvalidArgument naming the file when a tensor is missing or has another shape.
  void load(const Checkpoint& checkpoint, const std::string& prefix);

 private:
  struct Slot {
    std::string name;
    torch::Tensor param, exp_avg, exp_avg_sq;
    bool decay = false;
  };
  std::vector<Slot> slots_;
  AdamWOptions options_;
  std::int64_t steps_ = 0;
};

// Exponential moving average of weights: ema = d * ema + (1 - d) * model, with the decay warmed up as
// min(decay, (1 + step) / (10 + step)) so that a short run's average is not stuck at the initial weights.
double ema_decay_at(double decay, std::int64_t step);
void ema_update(torch::nn::Module& ema, torch::nn::Module& model, double decay);

}  // namespace a2w::wm
