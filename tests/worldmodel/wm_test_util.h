#pragma once
// Helpers of the world-model tests: the tiny config and small synthetic datasets whose every value is a known
// function of (episode, step, view), so windows can be checked exactly.

#include <torch/torch.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <string>

#include "a2w/env/hdf5_writer.h"
#include "a2w/wm/config.h"

namespace wmtest {

namespace fs = std::filesystem;

inline a2w::wm::WorldModelConfig tiny(int views = 2) {
  auto c = a2w::wm::WorldModelConfig::preset("tiny");
  if (views == 1) {
    c.views = 1;
    c.view_keys = {"agentview_rgb"};
  }
  return c;
}

// A fresh folder under the build tree's temp area, removed at scope exit.
struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& name) {
    path = fs::temp_directory_path() / ("a2w_wm_test_" + name + "_" + std::to_string(::getpid()));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string str(const std::string& leaf = "") const {
    return leaf.empty() ? path.string() : (path / leaf).string();
  }
};

// Frame of episode `ep` at step t of `view`: a background shade that encodes (ep, t, view) in pixel (0, 0)
// and a 4 x 4 bright square whose column moves with t (so consecutive frames differ where the square moves).
inline std::uint8_t pixel(int ep, std::int64_t t, int view, int y, int x, int ch, int size) {
  if (y == 0 && x == 0) return static_cast<std::uint8_t>(ch == 0 ? t : ch == 1 ? ep : view);
  const int col = static_cast<int>((t * 2 + ep) % (size - 4));
  const int row = 4 + 4 * view;
  if (y >= row && y < row + 4 && x >= col && x < col + 4) return static_cast<std::uint8_t>(220 - 30 * ch);
  return static_cast<std::uint8_t>(40 + 2 * y + ch * 10 + view * 20);
}

inline float action_value(int ep, std::int64_t t, int j) {
  return 0.01f * static_cast<float>(t) + 0.1f * j - 0.05f * ep;
}
inline float state_value(int ep, std::int64_t t, int j) {
  return static_cast<float>(t) + 0.01f * j + 100.0f * ep;
}

// One HDF5 file of `episodes` episodes of `steps` steps for `task` (the "task" attribute), episode ids
// first_ep, first_ep + 1, ...; state entries 0..15 present (mask 1), 16..31 absent; the initial state is
// state_value(ep, -1, j) unless `initial_state` is false (files from before RecordEpisode wrote it).
inline void write_dataset(const std::string& file, const std::string& task, int episodes, std::int64_t steps,
                          int size = 16, int first_ep = 0, bool initial_state = true) {
  using namespace a2w::env;
  DatasetWriter w(file, {.env_id = task, .overwrite = true});
  for (int e = 0; e < episodes; ++e) {
    const int ep = first_ep + e;
    Demo d;
    d.actions = Array(DType::kFloat32, {steps, 7});
    d.rewards = Array(DType::kFloat32, {steps});
    d.success = Array(DType::kUInt8, {steps});
    Array state(DType::kFloat32, {steps, 32}), mask(DType::kFloat32, {steps, 32});
    Array views[2] = {Array(DType::kUInt8, {steps, size, size, 3}),
                      Array(DType::kUInt8, {steps, size, size, 3})};
    for (std::int64_t t = 0; t < steps; ++t) {
      for (int j = 0; j < 7; ++j) d.actions.data<float>()[t * 7 + j] = action_value(ep, t, j);
      d.rewards.data<float>()[t] = 0.5f * static_cast<float>(t);
      d.success.data<std::uint8_t>()[t] = t >= steps - 3 ? 1 : 0;
      for (int j = 0; j < 32; ++j) {
        state.data<float>()[t * 32 + j] = j < 16 ? state_value(ep, t, j) : 0.0f;
        mask.data<float>()[t * 32 + j] = j < 16 ? 1.0f : 0.0f;
      }
      for (int v = 0; v < 2; ++v) {
        auto* p = views[v].data<std::uint8_t>() + t * size * size * 3;
        for (int y = 0; y < size; ++y)
          for (int x = 0; x < size; ++x)
            for (int ch = 0; ch < 3; ++ch) p[(y * size + x) * 3 + ch] = pixel(ep, t, v, y, x, ch, size);
      }
    }
    d.obs["agentview_rgb"] = views[0];
    d.obs["eye_in_hand_rgb"] = views[1];
    d.state["vector"] = state;
    d.state["mask"] = mask;
    if (initial_state) {
      Array initial(DType::kFloat32, {32});
      for (int j = 0; j < 32; ++j) initial.data<float>()[j] = j < 16 ? state_value(ep, -1, j) : 0.0f;
      d.initial_state["vector"] = initial;
    }
    d.seed = static_cast<std::uint64_t>(ep);
    d.seeded = true;
    w.append(d);
  }
  w.close();
}

// The expected frame as a uint8 [size, size, 3] tensor.
inline torch::Tensor frame(int ep, std::int64_t t, int view, int size = 16) {
  auto f = torch::empty({size, size, 3}, torch::kUInt8);
  auto* p = f.data_ptr<std::uint8_t>();
  for (int y = 0; y < size; ++y)
    for (int x = 0; x < size; ++x)
      for (int ch = 0; ch < 3; ++ch) p[(y * size + x) * 3 + ch] = pixel(ep, t, view, y, x, ch, size);
  return f;
}

}  // namespace wmtest
