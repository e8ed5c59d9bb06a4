#pragma once
// CounterEnv: a tiny deterministic env for the env-module tests. Its observation encodes the episode seed,
// the step count and the last action, so a test can tell exactly which episode and step a row holds.
//
// The episode of seed s lasts 2 + s % 3 steps (or `length` when set) and ends terminated when s is odd,
// truncated when s is even. reward = t + action[0] at step t (1-based). info: {"t": t, "success":
// terminated}; the reset info is {"reset_seed": s}.

#include <a2w/env/env.h>
#include <a2w/env/error.h>

#include <array>
#include <cmath>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace a2w::test {

// Thread ids seen by each env, shared with the test (envs may run on worker threads).
struct ThreadLog {
  std::mutex mutex;
  std::vector<std::vector<std::thread::id>> by_env;  // reset/step/close threads of env i
  void add(int env, std::thread::id id) {
    std::lock_guard lock(mutex);
    if (by_env.size() <= static_cast<std::size_t>(env)) by_env.resize(static_cast<std::size_t>(env) + 1);
    by_env[static_cast<std::size_t>(env)].push_back(id);
  }
};

class CounterEnv final : public env::Env {
 public:
  explicit CounterEnv(int index = 0, std::int64_t length = 0, std::shared_ptr<ThreadLog> log = nullptr)
      : index_(index), length_(length), log_(std::move(log)) {
    spec_.id = "test/Counter-v0";
    spec_.observation_space = env::dict({
        {"seed", env::box(-INFINITY, INFINITY, {}, env::DType::kInt64)},
        {"t", env::box(0, 1e6, {}, env::DType::kInt64)},
        {"last_action", env::box(-INFINITY, INFINITY, {2})},
        {"instruction", env::text(64)},
    });
    spec_.action_space = env::box(-1.0, 1.0, {2});
    spec_.control_hz = 20.0;
  }

  const env::EnvSpec& spec() const override { return spec_; }

  env::ResetResult reset(std::optional<std::uint64_t> seed = std::nullopt,
                         const env::Dict& options = {}) override {
    (void)options;
    note();
    seed_ = seed ? *seed : ++unseeded_;
    t_ = 0;
    started_ = true;
    ended_ = false;
    last_action_ = {0.0f, 0.0f};
    return {obs(), env::Dict{{"reset_seed", static_cast<std::int64_t>(seed_)}}};
  }

  env::StepResult step(const env::Array& action) override {
    note();
    if (!started_ || ended_) throw Error("CounterEnv: expected reset() before step()");
    spec_.action_space->check(env::Value(action), "CounterEnv action");
    const float* a = action.data<float>();
    last_action_ = {a[0], a[1]};
    ++t_;
    const std::int64_t length = length_ > 0 ? length_ : 2 + static_cast<std::int64_t>(seed_ % 3);
    env::StepResult r;
    const bool done = t_ >= length;
    r.terminated = done && seed_ % 2 == 1;
    r.truncated = done && seed_ % 2 == 0;
    ended_ = done;
    r.reward = static_cast<double>(t_) + static_cast<double>(a[0]);
    r.obs = obs();
    r.info = env::Dict{{"t", t_}, {"success", r.terminated}};
    return r;
  }

  void close() override { note(); }

  std::uint64_t seed() const { return seed_; }
  std::int64_t t() const { return t_; }

  // Expected length of the episode of seed s (when no fixed length is set).
  static std::int64_t length_of(std::uint64_t s) { return 2 + static_cast<std::int64_t>(s % 3); }

 private:
  void note() {
    if (log_) log_->add(index_, std::this_thread::get_id());
  }

  env::Dict obs() const {
    return env::Dict{
        {"seed", env::Array::scalar(static_cast<std::int64_t>(seed_))},
        {"t", env::Array::scalar(t_)},
        {"last_action", env::Array::from({last_action_[0], last_action_[1]})},
        {"instruction", "seed " + std::to_string(seed_ % 1000)},
    };
  }

  int index_;
  std::int64_t length_;
  std::shared_ptr<ThreadLog> log_;
  env::EnvSpec spec_;
  std::uint64_t seed_ = 0, unseeded_ = 1000;
  std::int64_t t_ = 0;
  bool started_ = false, ended_ = false;
  std::array<float, 2> last_action_{};
};

}  // namespace a2w::test
