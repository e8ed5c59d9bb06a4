#include "a2w/wm/window_loader.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "a2w/env/error.h"
#include "a2w/env/rng.h"

namespace a2w::wm {

namespace {

// uint8 [..., S, S, 3] -> uint8 [..., size, size, 3].
torch::Tensor resize_frames(const torch::Tensor& frames, int size) {
  auto shape = frames.sizes().vec();
  const auto s = shape[shape.size() - 2];
  auto x = frames.reshape({-1, s, s, 3}).permute({0, 3, 1, 2}).to(torch::kFloat32);
  namespace F = torch::nn::functional;
  auto opts = F::InterpolateFuncOptions().size(std::vector<std::int64_t>{size, size});
  if (size < s)
    opts.mode(torch::kArea);
  else
    opts.mode(torch::kBilinear).align_corners(false);
  x = F::interpolate(x, opts).round_().clamp_(0, 255).to(torch::kUInt8).permute({0, 2, 3, 1});
  shape[shape.size() - 3] = size;
  shape[shape.size() - 2] = size;
  return x.reshape(shape).contiguous();
}

}  // namespace

TrainBatch TrainBatch::to(torch::Device device) const {
  TrainBatch b = *this;
  for (auto* t :
       {&b.history, &b.anchor, &b.target, &b.actions, &b.action_mask, &b.target_valid, &b.prev_actions,
        &b.has_prev, &b.state, &b.state_mask, &b.state_in, &b.prev_state_in, &b.success, &b.reward, &b.task})
    if (t->defined()) *t = t->to(device);
  return b;
}

WindowLoader::WindowLoader(std::shared_ptr<const EpisodeIndex> index, const WorldModelConfig& config,
                           int batch_size, std::uint64_t seed, bool partial_chunks)
    : index_(std::move(index)),
      config_(config),
      batch_size_(batch_size),
      seed_(seed),
      partial_chunks_(partial_chunks) {
  if (batch_size < 1)
    throw InvalidArgument("WindowLoader: expected a batch size >= 1, got " + std::to_string(batch_size));
  const auto& opts = index_->options();
  const bool horizon_fits = partial_chunks ? opts.action_horizon <= config.action_horizon
                                           : opts.action_horizon == config.action_horizon;
  if (!horizon_fits || opts.action_dim != config.action_dim || opts.state_dim != config.state_dim ||
      opts.view_keys != config.view_keys)
    throw InvalidArgument(
        "WindowLoader: the EpisodeIndex was built for another view list, action or state size "
        "than the model config");
  cumulative_.push_back(0);
  for (const auto& e : index_->episodes()) {
    cumulative_.push_back(cumulative_.back() +
                          (partial_chunks ? e.length : e.length - config.action_horizon));
    auto it = std::find(config.tasks.begin(), config.tasks.end(), e.task);
    task_row_.push_back(it == config.tasks.end() ? -1 : it - config.tasks.begin());
  }
}

WindowLoader::~WindowLoader() {
  stop();
}

std::vector<std::pair<std::size_t, std::int64_t>> WindowLoader::draw(std::int64_t step) const {
  // A counter-based seed per step: batch(step) is the same whatever ran before it.
  env::Rng rng(env::episode_seed(seed_, 0x57494E44ull, static_cast<std::uint64_t>(step)));
  const auto total = static_cast<std::uint64_t>(cumulative_.back());
  std::vector<std::pair<std::size_t, std::int64_t>> out;
  for (int b = 0; b < batch_size_; ++b) {
    const auto r = static_cast<std::int64_t>(rng.below(total));
    const auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), r);
    const auto e = static_cast<std::size_t>(it - cumulative_.begin() - 1);
    out.emplace_back(e, r - cumulative_[e]);
  }
  return out;
}

TrainBatch WindowLoader::windows(const std::vector<std::pair<std::size_t, std::int64_t>>& windows) const {
  const auto& c = config_;
  const std::int64_t n = static_cast<std::int64_t>(windows.size()), v = c.views, k = c.context_frames,
                     h = c.action_horizon, a = c.action_dim, sd = c.state_dim, s = index_->image_size();
  const auto u8 = torch::TensorOptions().dtype(torch::kUInt8);
  TrainBatch b;
  b.history = torch::empty({n, v, k + 1, s, s, 3}, u8);
  b.anchor = torch::empty({n, v, s, s, 3}, u8);
  b.target = torch::empty({n, v, s, s, 3}, u8);
  b.actions = torch::zeros({n, h, a});
  b.action_mask = torch::ones({n, h});
  b.target_valid = torch::ones({n}, torch::kBool);
  b.prev_actions = torch::zeros({n, h, a});
  b.has_prev = torch::zeros({n}, torch::kBool);
  b.state = torch::zeros({n, sd});
  b.state_mask = torch::zeros({n, sd});
  b.state_in = torch::zeros({n, sd});
  b.prev_state_in = torch::zeros({n, sd});
  b.success = torch::zeros({n});
  b.reward = torch::zeros({n});
  b.task = torch::empty({n}, torch::kInt64);
  const std::size_t frame_bytes = static_cast<std::size_t>(s * s * 3);

  for (std::int64_t i = 0; i < n; ++i) {
    const auto [ei, t] = windows[static_cast<std::size_t>(i)];
    if (ei >= index_->episodes().size())
      throw InvalidArgument("WindowLoader: episode " + std::to_string(ei) + " out of range (" +
                            std::to_string(index_->episodes().size()) + " episodes)");
    const auto& e = index_->episodes()[ei];
    const std::int64_t t_max = partial_chunks_ ? e.length - 1 : e.length - 1 - h;
    if (t < 0 || t > t_max)
      throw InvalidArgument(
          "WindowLoader: window t = " + std::to_string(t) + " outside " + e.demo + " of " +
          std::to_string(e.length) + " steps (expected 0 <= t <= " + std::to_string(t_max) +
          (partial_chunks_ ? ")" : ": frame t + " + std::to_string(h) + " must be stored)"));
    // Partial chunks: the actions the episode has (the rest repeat its last one, masked), the last stored
    // frame as the target (not valid as the frame after the chunk).
    const std::int64_t have = std::min(h, e.length - t);
    const std::int64_t target_frame = std::min(t + h, e.length - 1);
    const auto& reader = index_->reader(e.file);
    const std::int64_t lo = std::max<std::int64_t>(0, t - k * h);
    for (std::int64_t view = 0; view < v; ++view) {
      const std::string key = "obs/" + c.view_keys[static_cast<std::size_t>(view)];
      const auto frames = reader.read_rows(e.demo, key, lo, target_frame + 1);  // rows lo .. target
      const auto* src = static_cast<const std::uint8_t*>(frames.raw());
      auto row = [&](std::int64_t f) { return src + static_cast<std::size_t>(f - lo) * frame_bytes; };
      auto* hist = b.history[i][view].data_ptr<std::uint8_t>();
      for (std::int64_t j = 0; j <= k; ++j) {
        const std::int64_t f = std::max<std::int64_t>(0, t - (k - j) * h);  // padded with frame 0
        std::memcpy(hist + static_cast<std::size_t>(j) * frame_bytes, row(f), frame_bytes);
      }
      std::memcpy(b.target[i][view].data_ptr<std::uint8_t>(), row(target_frame), frame_bytes);
      if (lo == 0) {
        std::memcpy(b.anchor[i][view].data_ptr<std::uint8_t>(), row(0), frame_bytes);
      } else {
        const auto first = reader.read_rows(e.demo, key, 0, 1);
        std::memcpy(b.anchor[i][view].data_ptr<std::uint8_t>(), first.raw(), frame_bytes);
      }
    }
    const float* act = e.actions.data<float>();
    std::memcpy(b.actions[i].data_ptr<float>(), act + t * a,
                static_cast<std::size_t>(have * a) * sizeof(float));
    for (std::int64_t j = have; j < h; ++j) {
      std::memcpy(b.actions[i].data_ptr<float>() + j * a, act + (e.length - 1) * a,
                  static_cast<std::size_t>(a) * sizeof(float));
      b.action_mask[i][j] = 0.0f;
    }
    b.target_valid[i] = t + h <= e.length - 1;
    if (t >= h) {
      std::memcpy(b.prev_actions[i].data_ptr<float>(), act + (t - h) * a,
                  static_cast<std::size_t>(h * a) * sizeof(float));
      b.has_prev[i] = true;
    }
    const std::int64_t last = t + have - 1;  // labels describe the state after the chunk's last action
    std::memcpy(b.state[i].data_ptr<float>(), e.state.data<float>() + last * sd,
                static_cast<std::size_t>(sd) * sizeof(float));
    std::memcpy(b.state_mask[i].data_ptr<float>(), e.state_mask.data<float>() + last * sd,
                static_cast<std::size_t>(sd) * sizeof(float));
    // The state at frame f: after action f - 1, or at reset for f = 0.
    auto state_at = [&](std::int64_t f) {
      return f <= 0 ? e.initial_state.data<float>() : e.state.data<float>() + (f - 1) * sd;
    };
    std::memcpy(b.state_in[i].data_ptr<float>(), state_at(t), static_cast<std::size_t>(sd) * sizeof(float));
    std::memcpy(b.prev_state_in[i].data_ptr<float>(), state_at(t - h),
                static_cast<std::size_t>(sd) * sizeof(float));
    b.success[i] = e.success.data<float>()[last] > 0.5f ? 1.0f : 0.0f;
    float r = 0;
    for (std::int64_t j = t; j <= last; ++j) r += e.rewards.data<float>()[j];
    b.reward[i] = r;
    b.task[i] = task_row_[ei];
    b.episode.push_back(ei);
    b.step.push_back(t);
  }
  if (s != c.image_size) {
    b.history = resize_frames(b.history, c.image_size);
    b.anchor = resize_frames(b.anchor, c.image_size);
    b.target = resize_frames(b.target, c.image_size);
  }
  return b;
}

void WindowLoader::start(std::int64_t first_step, int workers, int depth) {
  stop();
  std::lock_guard<std::mutex> lock(mutex_);
  stopping_ = false;
  error_ = nullptr;
  ready_.clear();
  next_to_build_ = next_to_hand_ = first_step;
  depth_ = std::max(1, depth);
  for (int i = 0; i < std::max(1, workers); ++i) threads_.emplace_back([this] { work(); });
}

void WindowLoader::work() {
  for (;;) {
    std::int64_t step = 0;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait(lock, [&] { return stopping_ || next_to_build_ < next_to_hand_ + depth_; });
      if (stopping_) return;
      step = next_to_build_++;
    }
    try {
      auto b = batch(step);
      std::lock_guard<std::mutex> lock(mutex_);
      ready_.emplace(step, std::move(b));
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!error_) error_ = std::current_exception();
    }
    cv_.notify_all();
  }
}

TrainBatch WindowLoader::next() {
  std::unique_lock<std::mutex> lock(mutex_);
  if (threads_.empty()) {
    const auto step = next_to_hand_++;
    lock.unlock();
    return batch(step);
  }
  cv_.wait(lock, [&] { return ready_.count(next_to_hand_) || error_; });
  auto it = ready_.find(next_to_hand_);
  if (it == ready_.end()) std::rethrow_exception(error_);
  auto b = std::move(it->second);
  ready_.erase(it);
  ++next_to_hand_;
  lock.unlock();
  cv_.notify_all();
  return b;
}

void WindowLoader::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

}  // namespace a2w::wm
