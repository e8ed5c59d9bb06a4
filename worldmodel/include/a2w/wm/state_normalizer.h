#pragma once
// StateNormalizer: the state head predicts (state - mean) / std, per entry of the env/state.h vector, with
// the mean and std of the training data (over the entries each task has, per its mask). Joint angles,
// positions in metres and quaternions differ in scale by orders of magnitude; normalised, every entry weighs
// alike in the loss. The statistics travel inside the checkpoint, and adaptation keeps the pretrained ones so
// the head's output keeps its meaning.

#include <torch/torch.h>

#include <vector>

namespace a2w::wm {

struct StateNormalizer {
  torch::Tensor mean;  // f32 [state_dim]
  torch::Tensor std;   // f32 [state_dim], > 0
  // f32 [state_dim], > 0: the root mean square of one step's change of the normalised state in the training
  // data, the unit of a state_input model's change head (ones when unknown: older checkpoints).
  torch::Tensor delta_rms;

  // mean 0, std 1.
  static StateNormalizer identity(int state_dim);
  // From per-entry sums over masked samples: entries never present get mean 0, std 1; std is floored at
  // `min_std` so that an entry that never moves (a static object's quaternion) is not blown up.
  static StateNormalizer from_moments(const std::vector<double>& count, const std::vector<double>& sum,
                                      const std::vector<double>& sum_sq, double min_std = 1e-2);

  // Sets delta_rms from per-entry counts and sums of squares of one step's change in world units (divided
  // by std here), floored at min_rms.
  StateNormalizer with_delta(const std::vector<double>& count, const std::vector<double>& sum_sq,
                             double min_rms = 1e-2) const;

  // A state_input model's change head, in normalised units: the next state from the current one and the
  // head's output (z + delta_rms * change), and the head's target for a pair of states.
  torch::Tensor apply_change(const torch::Tensor& z, const torch::Tensor& change) const;
  torch::Tensor change_between(const torch::Tensor& z, const torch::Tensor& z_next) const;

  torch::Tensor normalize(const torch::Tensor& state) const;  // [B, S], any device
  torch::Tensor denormalize(const torch::Tensor& z) const;
  StateNormalizer to(torch::Device device) const;
};

struct Checkpoint;
// The normaliser stored in a checkpoint ("norm/state_mean", "norm/state_std", and "norm/state_delta_rms"
// where present; ones where not), and storing one.
StateNormalizer read_normalizer(const Checkpoint& checkpoint);
void add_normalizer(Checkpoint& checkpoint, const StateNormalizer& normalizer);

}  // namespace a2w::wm
