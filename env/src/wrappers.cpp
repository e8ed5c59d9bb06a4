#include "a2w/env/wrappers.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "dtype_dispatch.h"

namespace a2w::env {

namespace {

const Box& float_box_action_space(const Env& env, const char* who) {
  const auto* box = dynamic_cast<const Box*>(env.spec().action_space.get());
  if (!box || !detail::is_floating(box->dtype()))
    throw InvalidArgument(std::string(who) + ": expected a float Box action space, got " +
                          (env.spec().action_space ? env.spec().action_space->str() : "null"));
  return *box;
}

// Shape, dtype and finiteness of an action; the bounds are the wrapper's to enforce.
void check_action_layout(const Array& action, const Box& box, const char* who) {
  if (!action.valid() || action.dtype() != box.dtype() || action.shape() != box.shape())
    throw InvalidArgument(std::string(who) + ": expected action as " + describe(box.low()) + ", got " +
                          describe(action));
  if (action.has_non_finite())
    throw InvalidArgument(std::string(who) + ": expected a finite action, got NaN or inf");
}

// Applies f(value, low, high) -> double to every element and returns a new array of the box's dtype.
template <typename F>
Array map_action(const Array& action, const Box& box, F f) {
  Array out(box.dtype(), box.shape());
  detail::dispatch(box.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_floating_point_v<T>) {
      const T* a = action.data<T>();
      const T* lo = box.low().data<T>();
      const T* hi = box.high().data<T>();
      T* o = out.data<T>();
      for (std::int64_t i = 0; i < out.size(); ++i) {
        const double v = f(static_cast<double>(a[i]), static_cast<double>(lo[i]), static_cast<double>(hi[i]));
        // Clamped after rounding to T, so float32 rounding cannot step outside the bounds.
        o[i] = std::clamp(static_cast<T>(v), lo[i], hi[i]);
      }
    }
  });
  return out;
}

}  // namespace

// ------------------------------------------------------------------------------------------------ TimeLimit

TimeLimit::TimeLimit(EnvPtr env, std::int64_t max_steps) : Wrapper(std::move(env)), spec_(inner_->spec()) {
  max_steps_ = max_steps > 0 ? max_steps : spec_.max_episode_steps;
  if (max_steps < 0 || max_steps_ <= 0)
    throw InvalidArgument(
        "TimeLimit: expected max_steps > 0 (or 0 with an env spec that sets max_episode_steps), "
        "got " +
        std::to_string(max_steps) + " and spec max_episode_steps " + std::to_string(spec_.max_episode_steps));
  spec_.max_episode_steps = max_steps_;
}

ResetResult TimeLimit::reset(std::optional<std::uint64_t> seed, const Dict& options) {
  ResetResult r = inner_->reset(seed, options);
  elapsed_ = 0;
  cut_ = false;
  return r;
}

StepResult TimeLimit::step(const Array& action) {
  if (cut_)
    throw Error("TimeLimit: expected reset() after the episode was truncated at " +
                std::to_string(max_steps_) + " steps, got step()");
  StepResult r = inner_->step(action);
  ++elapsed_;
  if (elapsed_ >= max_steps_) {
    r.info["TimeLimit.truncated"] = !r.terminated;
    r.truncated = true;
    cut_ = true;
  }
  return r;
}

// --------------------------------------------------------------------------------------------- ActionRepeat

ActionRepeat::ActionRepeat(EnvPtr env, int n) : Wrapper(std::move(env)), spec_(inner_->spec()), n_(n) {
  if (n < 1) throw InvalidArgument("ActionRepeat: expected n >= 1, got " + std::to_string(n));
  if (spec_.max_episode_steps > 0) spec_.max_episode_steps = (spec_.max_episode_steps + n - 1) / n;
  spec_.control_hz /= n;
}

StepResult ActionRepeat::step(const Array& action) {
  StepResult r;
  double total = 0.0;
  for (int i = 0; i < n_; ++i) {
    r = inner_->step(action);
    total += r.reward;
    if (r.terminated || r.truncated) break;
  }
  r.reward = total;
  return r;
}

// ----------------------------------------------------------------------------------------------- ClipAction

ClipAction::ClipAction(EnvPtr env) : Wrapper(std::move(env)), spec_(inner_->spec()) {
  inner_box_ = &float_box_action_space(*inner_, "ClipAction");
  spec_.action_space = box(-INFINITY, INFINITY, inner_box_->shape(), inner_box_->dtype());
}

StepResult ClipAction::step(const Array& action) {
  check_action_layout(action, *inner_box_, "ClipAction");
  return inner_->step(map_action(action, *inner_box_, [](double a, double, double) { return a; }));
}

// -------------------------------------------------------------------------------------------- RescaleAction

RescaleAction::RescaleAction(EnvPtr env, double min_action, double max_action)
    : Wrapper(std::move(env)), spec_(inner_->spec()), min_(min_action), max_(max_action) {
  inner_box_ = &float_box_action_space(*inner_, "RescaleAction");
  if (!inner_box_->bounded())
    throw InvalidArgument("RescaleAction: expected a bounded Box action space, got " + inner_box_->str());
  if (!(std::isfinite(min_action) && std::isfinite(max_action) && min_action < max_action))
    throw InvalidArgument("RescaleAction: expected finite min_action < max_action, got " +
                          std::to_string(min_action) + " and " + std::to_string(max_action));
  spec_.action_space = box(min_action, max_action, inner_box_->shape(), inner_box_->dtype());
}

StepResult RescaleAction::step(const Array& action) {
  check_action_layout(action, *inner_box_, "RescaleAction");
  const double lo_in = min_, span_in = max_ - min_;
  return inner_->step(map_action(action, *inner_box_, [&](double a, double lo, double hi) {
    return lo + (hi - lo) * ((a - lo_in) / span_in);
  }));
}

// ----------------------------------------------------------------------------------------------- FrameStack

FrameStack::FrameStack(EnvPtr env, int n, std::vector<std::string> keys)
    : Wrapper(std::move(env)), spec_(inner_->spec()), n_(n), keys_(std::move(keys)) {
  if (n < 1) throw InvalidArgument("FrameStack: expected n >= 1, got " + std::to_string(n));
  const auto* obs_space = dynamic_cast<const DictSpace*>(spec_.observation_space.get());
  if (!obs_space)
    throw InvalidArgument("FrameStack: expected a Dict observation space, got " +
                          (spec_.observation_space ? spec_.observation_space->str() : "null"));
  if (keys_.empty()) {
    for (const auto& [k, s] : obs_space->spaces())
      if (dynamic_cast<const Box*>(s.get())) keys_.push_back(k);
  }
  std::sort(keys_.begin(), keys_.end());
  keys_.erase(std::unique(keys_.begin(), keys_.end()), keys_.end());

  for (const auto& k : keys_) obs_space->at(k);  // throws NotFound naming the keys the space has
  std::vector<std::pair<std::string, SpacePtr>> spaces = obs_space->spaces();
  for (auto& [k, s] : spaces) {
    if (!std::binary_search(keys_.begin(), keys_.end(), k)) continue;
    const auto* b = dynamic_cast<const Box*>(s.get());
    if (!b) throw InvalidArgument("FrameStack: expected a Box for observation '" + k + "', got " + s->str());
    // The bounds of one frame, repeated for each of the n slots.
    Shape shape = b->shape();
    shape.insert(shape.begin(), n);
    Array low(b->dtype(), shape), high(b->dtype(), shape);
    for (int i = 0; i < n; ++i) {
      low.row(i).copy_from(b->low());
      high.row(i).copy_from(b->high());
    }
    s = box(std::move(low), std::move(high));
  }
  spec_.observation_space = dict(std::move(spaces));
  frames_.resize(keys_.size());
}

void FrameStack::push(Dict& obs, bool fill) {
  for (std::size_t k = 0; k < keys_.size(); ++k) {
    auto it = obs.find(keys_[k]);
    if (it == obs.end() || !it->second.is_array())
      throw InvalidArgument("FrameStack: expected an array observation '" + keys_[k] + "', got " +
                            (it == obs.end() ? std::string("none") : describe(it->second)));
    // Cloned: the env may reuse the buffer behind the array it returned.
    const Array frame = it->second.as_array().clone();
    std::deque<Array>& q = frames_[k];
    if (fill) {
      q.assign(static_cast<std::size_t>(n_), frame);
    } else {
      q.pop_front();
      q.push_back(frame);
    }
    Shape shape = frame.shape();
    shape.insert(shape.begin(), n_);
    Array stacked(frame.dtype(), shape);
    for (int i = 0; i < n_; ++i) stacked.row(i).copy_from(q[static_cast<std::size_t>(i)]);
    it->second = Value(std::move(stacked));
  }
}

ResetResult FrameStack::reset(std::optional<std::uint64_t> seed, const Dict& options) {
  ResetResult r = inner_->reset(seed, options);
  push(r.obs, true);
  return r;
}

StepResult FrameStack::step(const Array& action) {
  if (!frames_.empty() && frames_[0].size() != static_cast<std::size_t>(n_))
    throw Error("FrameStack: expected reset() before step()");
  StepResult r = inner_->step(action);
  push(r.obs, false);
  return r;
}

// ---------------------------------------------------------------------------------- RecordEpisodeStatistics

RecordEpisodeStatistics::RecordEpisodeStatistics(EnvPtr env, std::size_t buffer_length)
    : Wrapper(std::move(env)), buffer_length_(buffer_length), start_(std::chrono::steady_clock::now()) {}

ResetResult RecordEpisodeStatistics::reset(std::optional<std::uint64_t> seed, const Dict& options) {
  ResetResult r = inner_->reset(seed, options);
  return_ = 0.0;
  length_ = 0;
  start_ = std::chrono::steady_clock::now();
  return r;
}

StepResult RecordEpisodeStatistics::step(const Array& action) {
  StepResult r = inner_->step(action);
  return_ += r.reward;
  ++length_;
  if (r.terminated || r.truncated) {
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const double t = std::round(seconds * 1e6) / 1e6;
    r.info["episode"] = Dict{{"r", return_}, {"l", length_}, {"t", t}};
    ++episode_count_;
    auto keep = [&](auto& q, auto v) {
      q.push_back(v);
      while (q.size() > buffer_length_) q.pop_front();
    };
    keep(returns_, return_);
    keep(lengths_, length_);
    keep(times_, t);
  }
  return r;
}

}  // namespace a2w::env
