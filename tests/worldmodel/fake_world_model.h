#pragma once
// FakeWorldModel: a deterministic stand-in for A2World with the WorldModel interface, so A2World-sim's env
// semantics are tested without training anything. Every output row depends only on that row's inputs and
// seed, as the interface asks:
//   frames   the row's last context frame + (1 + seed % 13) (mod 256) per pixel
//   state    `state` (or script[call] when a script is set), with ee_pos[0] += (seed % 1000) * 1e-5 when
//            `perturb` is on, so rows with other seeds differ
//   success  (gripper action + 1) / 2: a test steers the success head with the last action component
//   reward   the first action component

#include <torch/torch.h>

#include <algorithm>
#include <vector>

#include "a2w/env/state.h"
#include "a2w/wm/world_model.h"

namespace a2w::wm::test {

inline WorldModelConfig fake_config(int image_size = 32, int action_horizon = 1) {
  WorldModelConfig c;
  c.image_size = image_size;
  c.views = 2;
  c.view_keys = {"agentview_rgb", "eye_in_hand_rgb"};
  c.context_frames = 2;
  c.action_horizon = action_horizon;
  c.action_dim = 7;
  c.state_dim = env::kStateDim;
  c.tasks = {"a2w/Reach-v0", "a2w/LiftCube-v0"};
  return c;
}

class FakeWorldModel final : public WorldModel {
 public:
  explicit FakeWorldModel(WorldModelConfig config = fake_config()) : config_(std::move(config)) {}

  const WorldModelConfig& config() const override { return config_; }
  torch::Device device() const override { return torch::kCPU; }

  WorldModelOutput predict(const WorldModelInput& in) override {
    const std::int64_t b = in.context.size(0);
    batch_sizes.push_back(b);
    // Copies: the env may pass its own context buffer, which it shifts after the call.
    last_input = in;
    last_input.context = in.context.clone();
    last_input.anchor = in.anchor.clone();
    WorldModelOutput out;
    torch::Tensor last =
        in.context.select(2, config_.context_frames - 1).to(torch::kInt32);  // [B, V, H, W, 3]
    std::vector<std::int32_t> shift(static_cast<std::size_t>(b));
    for (std::int64_t r = 0; r < b; ++r)
      shift[static_cast<std::size_t>(r)] = 1 + static_cast<std::int32_t>(seed_of(in, r) % 13);
    const torch::Tensor add = torch::tensor(shift, torch::kInt32).view({b, 1, 1, 1, 1});
    out.frames = (last + add).remainder(256).to(torch::kUInt8).contiguous();
    out.state = torch::empty({b, env::kStateDim}, torch::kFloat);
    for (std::int64_t r = 0; r < b; ++r) {
      const std::vector<float>& base =
          script.empty() ? state
                         : script[std::min<std::size_t>(static_cast<std::size_t>(calls), script.size() - 1)];
      float* dst = out.state.data_ptr<float>() + r * env::kStateDim;
      std::copy(base.begin(), base.end(), dst);
      if (perturb) dst[env::kStateEePos] += static_cast<float>(seed_of(in, r) % 1000) * 1e-5f;
    }
    const torch::Tensor a = in.actions.select(1, 0);  // [B, 7]
    out.success = (a.select(1, 6) + 1.0f) / 2.0f;
    out.reward = a.select(1, 0).clone();
    ++calls;
    return out;
  }

  std::vector<float> state = std::vector<float>(env::kStateDim, 0.0f);
  std::vector<std::vector<float>> script;  // when set, call c returns script[min(c, size - 1)] for every row
  bool perturb = true;
  int calls = 0;
  std::vector<std::int64_t> batch_sizes;
  WorldModelInput last_input;

 private:
  static std::uint64_t seed_of(const WorldModelInput& in, std::int64_t r) {
    return in.seeds.empty() ? static_cast<std::uint64_t>(r) : in.seeds[static_cast<std::size_t>(r)];
  }
  WorldModelConfig config_;
};

}  // namespace a2w::wm::test
