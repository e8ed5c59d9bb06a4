#pragma once
// A2World: the built-in world model. An A2WorldNet (a2world_net.h) inside EDM's denoiser, sampled with a few
// Euler/Heun steps (sampler.h), with the state statistics that turn the state head's output into world units.
//
//   auto wm = A2World::load("a2world.a2wm");            // EMA weights
//   WorldModelOutput out = wm->predict(input);          // one imagined step for the whole batch
//
// predict() is batch-native (one forward pass per sampler step steps every row), runs under InferenceMode,
// and is reproducible per row (NoGradGuard: the outputs are ordinary tensors the caller may modify): row b's
// starting noise and context noise are drawn from seeds[b] alone.

#include <torch/torch.h>

#include <memory>
#include <string>

#include "a2w/wm/a2world_net.h"
#include "a2w/wm/checkpoint.h"
#include "a2w/wm/precision.h"
#include "a2w/wm/state_normalizer.h"
#include "a2w/wm/world_model.h"

namespace a2w::wm {

class A2World final : public WorldModel {
 public:
  // Fresh weights (seed them with torch::manual_seed first) for `config`; identity state statistics unless
  // given.
  explicit A2World(const WorldModelConfig& config, torch::Device device = torch::kCPU);
  A2World(const WorldModelConfig& config, StateNormalizer normalizer, torch::Device device = torch::kCPU);

  // From a checkpoint's "ema/" weights (use_ema, the default; falls back to "model/" when a checkpoint has no
  // EMA) or its "model/" weights, and its "norm/" statistics. Throws InvalidArgument naming the file (see
  // checkpoint.h for what is refused).
  static std::shared_ptr<A2World> load(const std::string& path, torch::Device device = torch::kCPU,
                                       bool use_ema = true);
  static std::shared_ptr<A2World> from_checkpoint(const Checkpoint& checkpoint,
                                                  torch::Device device = torch::kCPU, bool use_ema = true);

  const WorldModelConfig& config() const override { return config_; }
  torch::Device device() const override { return device_; }
  // Checks every input's dtype and shape against config() (InvalidArgument naming the input, expected and
  // got).
  WorldModelOutput predict(const WorldModelInput& input) override;

  // Writes an inference checkpoint (checkpoint.h): the weights as "ema/" tensors, the state statistics, and
  // `meta`. With dtype float16 the parameters take half the bytes (the shipped default: 8.2M parameters in
  // 16 MB); loading converts them back to float32. Buffers keep float32, they are computed constants.
  void save(const std::string& path, torch::ScalarType dtype = torch::kFloat32, env::Dict meta = {});

  // Sampler steps and kind used by predict() (config().sampling_steps and .sampler at first).
  void set_sampler(int steps, const std::string& sampler);

  // Precision of predict()'s matrix products (precision.h); "auto" at first: bfloat16 on CUDA and on CPUs
  // that multiply it natively, else float32.
  void set_precision(Precision precision) { precision_ = precision; }
  Precision precision() const { return precision_; }

  A2WorldNet& net() { return net_; }
  const StateNormalizer& normalizer() const { return normalizer_; }
  void set_normalizer(StateNormalizer normalizer);

 private:
  WorldModelConfig config_;
  torch::Device device_;
  A2WorldNet net_{nullptr};
  StateNormalizer normalizer_;
  int steps_ = 3;
  bool heun_ = false;
  Precision precision_ = Precision::kFloat32;
};

}  // namespace a2w::wm
