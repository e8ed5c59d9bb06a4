#pragma once
// VectorEnv: N envs stepped together, with Gymnasium 1.x vector semantics.
//
// Observations come back batched: every array observation of shape S becomes [N, ...S] (uint8 images
// [N, H, W, 3]), text observations become a List of N strings; reward is f64[N], terminated and truncated
// bool[N]. Arrays in a result are views of buffers the VectorEnv allocated once and overwrites on the next
// step or reset: clone() what you keep. Env i always writes row i, so results do not depend on threads.
//
// Autoreset (Gymnasium's AutoresetMode, declared in spec().metadata["autoreset_mode"]):
//   NEXT_STEP (default) the step after env i ends resets it: that step ignores action i and returns the
//                       reset observation, reward 0, terminated = truncated = false, and the reset info.
//   SAME_STEP           the step that ends env i resets it at once: obs row i is the new episode's first
//                       observation; the last observation and info of the ended episode are in
//                       final_obs[i] / final_info[i].
//   DISABLED            nothing resets by itself: call reset(mask, seeds) (or reset with
//                       options {"reset_mask": bool[N]}) for the envs that ended. Stepping an env that
//                       ended without resetting it throws a2w::Error.
//
// Seeds: reset(seed) with base seed b gives env i's e-th episode (e = 0, 1, ... counting every reset of that
// env, automatic or not) the seed episode_seed(b, i, e) of rng.h. Without a base seed one is drawn from the
// OS once.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "a2w/env/env.h"

namespace a2w::env {

enum class AutoresetMode { kNextStep, kSameStep, kDisabled };
std::string to_string(AutoresetMode m);  // "NEXT_STEP", "SAME_STEP", "DISABLED"
AutoresetMode parse_autoreset_mode(std::string_view s);

struct VectorEnvOptions {
  int num_envs = 1;
  int num_threads = 0;  // 0: min(num_envs, hardware threads); 1: step in the calling thread
  AutoresetMode autoreset_mode = AutoresetMode::kNextStep;
};

struct VectorResetResult {
  Dict obs;                 // batched
  std::vector<Dict> infos;  // one per env (empty Dict for envs not reset)
};

struct VectorStepResult {
  Dict obs;                 // batched
  Array reward;             // f64[N]
  Array terminated;         // bool[N]
  Array truncated;          // bool[N]
  std::vector<Dict> infos;  // one per env
  // SAME_STEP only: for envs that ended in this step, their last observation and info; nullopt elsewhere.
  std::vector<std::optional<Dict>> final_obs;
  std::vector<std::optional<Dict>> final_info;
};

// The interface: what rollout(), evaluations and servers step. Implementations: ThreadedVectorEnv below (N
// Envs on a thread pool) and A2World-sim's WorldModelEnv (one batched forward pass steps every env).
class VectorEnv {
 public:
  virtual ~VectorEnv() = default;

  virtual int num_envs() const = 0;
  // Threads that step the envs (1 for implementations that batch instead).
  virtual int num_threads() const { return 1; }
  virtual AutoresetMode autoreset_mode() const = 0;
  // The spec of one env; metadata holds "autoreset_mode".
  virtual const EnvSpec& single_spec() const = 0;

  // Resets every env: env i gets episode_seed(seed, i, e) with e its episode counter, which a new base
  // seed restarts at 0 (for every env). In DISABLED mode options may hold "reset_mask" (bool[N] array or a
  // List of N bools) to reset only those envs; in other modes a reset_mask throws InvalidArgument, as in
  // Gymnasium. The other options go to each env's reset().
  virtual const VectorResetResult& reset(std::optional<std::uint64_t> seed = std::nullopt,
                                         const Dict& options = {}) = 0;
  // Resets the envs where mask[i] with the explicit seeds[i] (any mode; mask and seeds have N entries); the
  // others keep their state and their rows of the observation buffers. Counts as a reset for episode_index.
  virtual const VectorResetResult& reset(const std::vector<bool>& mask,
                                         const std::vector<std::uint64_t>& seeds) = 0;
  // actions: [N, ...action shape] of the action space's dtype (f32 [N, 7] for tasks). Throws InvalidArgument
  // for a wrong shape or dtype, or NaN/inf in an action that is used, before any env is stepped.
  const VectorStepResult& step(const Array& actions) {
    return step(actions, std::vector<bool>(static_cast<std::size_t>(num_envs()), true));
  }
  // Steps only the envs where active[i] (like EnvPool's send(actions, env_ids)); for the others nothing
  // happens: their action rows are ignored, their obs rows keep their values, reward 0, flags false, empty
  // info, and an ended env stays ended (a pending NEXT_STEP reset stays pending). rollout() uses it to leave
  // slots that have no episode left untouched.
  virtual const VectorStepResult& step(const Array& actions, const std::vector<bool>& active) = 0;
  virtual void close() = 0;

  // Env i itself (e.g. for privileged access by a scripted expert). Implementations that are not made of
  // Envs throw a2w::Error saying so.
  virtual Env& env(int i);
  // Seed and index of env i's current episode.
  virtual std::uint64_t episode_seed(int i) const = 0;
  virtual std::int64_t episode_index(int i) const = 0;
};

// N copies of one env on a thread pool (EnvPool-style): env i writes row i of pre-allocated buffers.
class ThreadedVectorEnv final : public VectorEnv {
 public:
  using Factory = std::function<EnvPtr(int env_index)>;

  // Builds options.num_envs envs with `factory` (called in index order on the calling thread). Env i is then
  // reset, stepped, closed and destroyed on worker thread i % num_threads() only (see thread_pool.h; worker
  // 0 is the calling thread, so use the VectorEnv from one thread), so an env that needs a thread-bound
  // resource (a GL context) should create it on its first reset().
  ThreadedVectorEnv(const Factory& factory, VectorEnvOptions options);
  ~ThreadedVectorEnv() override;
  ThreadedVectorEnv(const ThreadedVectorEnv&) = delete;
  ThreadedVectorEnv& operator=(const ThreadedVectorEnv&) = delete;

  int num_envs() const override;
  int num_threads() const override;
  AutoresetMode autoreset_mode() const override;
  const EnvSpec& single_spec() const override;
  using VectorEnv::reset;
  using VectorEnv::step;
  const VectorResetResult& reset(std::optional<std::uint64_t> seed = std::nullopt,
                                 const Dict& options = {}) override;
  const VectorResetResult& reset(const std::vector<bool>& mask, const std::vector<std::uint64_t>& seeds) override;
  const VectorStepResult& step(const Array& actions, const std::vector<bool>& active) override;
  void close() override;
  Env& env(int i) override;
  std::uint64_t episode_seed(int i) const override;
  std::int64_t episode_index(int i) const override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Helpers for batch observations.
// Allocates a batch Dict for `space` (a DictSpace) with leading dim n: arrays zeroed, texts empty strings.
Dict make_batch(const Space& space, int n);
// Copies a single observation into row i of a batch made by make_batch (sizes must match).
void write_row(Dict& batch, int i, const Dict& obs);
// A deep copy of row i of a batch, as a single observation.
Dict read_row(const Dict& batch, int i);

}  // namespace a2w::env
