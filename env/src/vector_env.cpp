#include "a2w/env/vector_env.h"

#include <algorithm>
#include <cctype>
#include <random>
#include <thread>

#include "a2w/env/thread_pool.h"

namespace a2w::env {

// ------------------------------------------------------------------------------------------- autoreset mode

std::string to_string(AutoresetMode m) {
  switch (m) {
    case AutoresetMode::kNextStep:
      return "NEXT_STEP";
    case AutoresetMode::kSameStep:
      return "SAME_STEP";
    case AutoresetMode::kDisabled:
      return "DISABLED";
  }
  return "UNKNOWN";
}

AutoresetMode parse_autoreset_mode(std::string_view s) {
  // Case and '-' versus '_' do not matter: "next-step" on a command line means NEXT_STEP.
  std::string norm;
  for (const char c : s)
    norm += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (const auto m : {AutoresetMode::kNextStep, AutoresetMode::kSameStep, AutoresetMode::kDisabled})
    if (norm == to_string(m)) return m;
  throw InvalidArgument("autoreset mode: expected NEXT_STEP, SAME_STEP or DISABLED, got '" + std::string(s) +
                        "'");
}

// -------------------------------------------------------------------------------------------- batch helpers

namespace {

Value make_batch_value(const Space& space, int n, const std::string& key) {
  if (const auto* d = dynamic_cast<const DictSpace*>(&space)) {
    Dict out;
    for (const auto& [k, s] : d->spaces())
      out.emplace(k, make_batch_value(*s, n, key.empty() ? k : key + "." + k));
    return Value(std::move(out));
  }
  if (dynamic_cast<const Text*>(&space))
    return Value(List(static_cast<std::size_t>(n), Value(std::string())));
  if (dynamic_cast<const TupleSpace*>(&space))
    throw InvalidArgument("make_batch: observation '" + key +
                          "': expected Box, Discrete, MultiDiscrete, "
                          "MultiBinary, Text or Dict spaces, got " +
                          space.str());
  auto [dtype, shape] = array_layout(space);
  shape.insert(shape.begin(), n);
  return Value(Array(dtype, std::move(shape)));
}

void write_value(Value& dst, int i, const Value& src, const std::string& key) {
  if (dst.is_dict()) {
    if (!src.is_dict())
      throw InvalidArgument("write_row: observation '" + key + "': expected dict, got " + describe(src));
    write_row(dst.as_dict(), i, src.as_dict());
    return;
  }
  if (dst.is_list()) {
    List& l = dst.as_list();
    if (i < 0 || static_cast<std::size_t>(i) >= l.size())
      throw InvalidArgument("write_row: expected a row in [0, " + std::to_string(l.size()) + "), got " +
                            std::to_string(i));
    if (!src.is_string())
      throw InvalidArgument("write_row: observation '" + key + "': expected str, got " + describe(src));
    l[static_cast<std::size_t>(i)] = src;
    return;
  }
  Array row = dst.as_array().row(i);
  if (src.is_array()) {
    const Array& a = src.as_array();
    if (a.dtype() != row.dtype() || a.shape() != row.shape())
      throw InvalidArgument("write_row: observation '" + key + "': expected " + describe(row) + ", got " +
                            describe(a));
    row.copy_from(a);
    return;
  }
  // A scalar observation (a Discrete given as an int): one element of the row's dtype.
  if (row.size() == 1 && (src.is_number() || src.is_bool())) {
    Array one = src.is_double() ? Array::scalar(src.as_double())
                                : Array::scalar(src.is_bool() ? std::int64_t{src.as_bool()} : src.as_int());
    row.copy_from(one.astype(row.dtype()).reshape(row.shape()));
    return;
  }
  throw InvalidArgument("write_row: observation '" + key + "': expected " + describe(row) + ", got " +
                        describe(src));
}

}  // namespace

Dict make_batch(const Space& space, int n) {
  if (!dynamic_cast<const DictSpace*>(&space))
    throw InvalidArgument("make_batch: expected a Dict observation space, got " + space.str());
  if (n < 0) throw InvalidArgument("make_batch: expected n >= 0, got " + std::to_string(n));
  return make_batch_value(space, n, "").as_dict();
}

void write_row(Dict& batch, int i, const Dict& obs) {
  for (auto& [key, dst] : batch) {
    auto it = obs.find(key);
    if (it == obs.end()) {
      std::string keys;
      for (const auto& [k, v] : obs) keys += (keys.empty() ? "" : ", ") + k;
      throw InvalidArgument("write_row: expected observation key '" + key + "', got keys [" + keys + "]");
    }
    write_value(dst, i, it->second, key);
  }
  if (obs.size() != batch.size()) {
    for (const auto& [k, v] : obs)
      if (!batch.contains(k))
        throw InvalidArgument("write_row: observation has key '" + k +
                              "', which the observation space lacks");
  }
}

Dict read_row(const Dict& batch, int i) {
  Dict out;
  for (const auto& [key, v] : batch) {
    if (v.is_dict()) {
      out.emplace(key, read_row(v.as_dict(), i));
    } else if (v.is_list()) {
      const List& l = v.as_list();
      if (i < 0 || static_cast<std::size_t>(i) >= l.size())
        throw InvalidArgument("read_row: expected a row in [0, " + std::to_string(l.size()) + "), got " +
                              std::to_string(i));
      out.emplace(key, l[static_cast<std::size_t>(i)]);
    } else {
      out.emplace(key, v.as_array().row(i).clone());
    }
  }
  return out;
}

// ----------------------------------------------------------------------------------------------- VectorEnv

namespace {

enum class SlotState { kNew, kRunning, kEnded };

struct Slot {
  EnvPtr env;
  SlotState state = SlotState::kNew;
  std::uint64_t seed = 0;
  std::int64_t episodes = 0;  // resets since the last base-seed reset; the current episode is episodes - 1
};

}  // namespace

struct ThreadedVectorEnv::Impl {
  VectorEnvOptions options;
  EnvSpec spec;
  std::vector<Slot> slots;
  std::unique_ptr<ThreadPool> pool;
  std::optional<std::uint64_t> base_seed;
  DType action_dtype = DType::kFloat32;
  Shape action_shape;  // per env
  Dict batch;          // the observation buffers; both results hold shallow copies that share them
  VectorResetResult reset_result;
  VectorStepResult step_result;
  bool closed = false;

  int n() const { return options.num_envs; }

  void check_open(const char* what) const {
    if (closed)
      throw Error(std::string("VectorEnv::") + what + ": expected an open VectorEnv, got a closed one");
  }

  std::uint64_t base() {
    // Drawn once, lazily: a run that never passes a seed still gives every episode a distinct, logged seed.
    if (!base_seed) base_seed = (std::uint64_t{std::random_device{}()} << 32) ^ std::random_device{}();
    return *base_seed;
  }

  // Resets env i (on its worker thread) with `seed` and writes its row; returns the reset info.
  Dict reset_env(std::int64_t i, std::uint64_t seed, const Dict& env_options) {
    Slot& s = slots[static_cast<std::size_t>(i)];
    ResetResult r = s.env->reset(seed, env_options);
    write_row(batch, static_cast<int>(i), r.obs);
    s.seed = seed;
    ++s.episodes;
    s.state = SlotState::kRunning;
    return std::move(r.info);
  }

  std::uint64_t next_seed(std::int64_t i) {
    const Slot& s = slots[static_cast<std::size_t>(i)];
    return env::episode_seed(*base_seed, static_cast<std::uint64_t>(i),
                             static_cast<std::uint64_t>(s.episodes));
  }

  void check_actions(const Array& actions, const std::vector<bool>& active) const {
    Shape expected_shape = action_shape;
    expected_shape.insert(expected_shape.begin(), n());
    if (!actions.valid() || actions.dtype() != action_dtype || actions.shape() != expected_shape)
      throw InvalidArgument("VectorEnv::step: expected actions as " + std::string(dtype_name(action_dtype)) +
                            " array of shape " + shape_str(expected_shape) + ", got " + describe(actions));
    for (int i = 0; i < n(); ++i) {
      if (!active[static_cast<std::size_t>(i)]) continue;
      const Slot& s = slots[static_cast<std::size_t>(i)];
      if (s.state == SlotState::kNew)
        throw Error("VectorEnv::step: env " + std::to_string(i) +
                    " has not been reset; call reset() before step()");
      if (s.state == SlotState::kEnded) {
        if (options.autoreset_mode == AutoresetMode::kDisabled)
          throw Error(
              "VectorEnv::step: env " + std::to_string(i) +
              " ended its episode and autoreset is DISABLED; reset it first with reset(mask, seeds) or "
              "reset(seed, {{\"reset_mask\", mask}})");
        if (options.autoreset_mode == AutoresetMode::kNextStep) continue;  // its action is ignored
      }
      if (actions.row(i).has_non_finite())
        throw InvalidArgument(
            "VectorEnv::step: expected finite actions, got NaN or inf in the action of env " +
            std::to_string(i));
    }
  }

  void step_env(std::int64_t i, const Array& actions) {
    Slot& s = slots[static_cast<std::size_t>(i)];
    VectorStepResult& out = step_result;
    const auto k = static_cast<std::size_t>(i);
    if (options.autoreset_mode == AutoresetMode::kNextStep && s.state == SlotState::kEnded) {
      // Gymnasium's NEXT_STEP: this step only resets; reward 0 and both flags false were set by the caller.
      out.infos[k] = reset_env(i, next_seed(i), {});
      return;
    }
    StepResult r = s.env->step(actions.row(i));
    out.reward.data<double>()[i] = r.reward;
    out.terminated.data<bool>()[i] = r.terminated;
    out.truncated.data<bool>()[i] = r.truncated;
    const bool ended = r.terminated || r.truncated;
    if (ended && options.autoreset_mode == AutoresetMode::kSameStep) {
      // Cloned: the env may hand out views of its own buffers, which its reset is about to overwrite.
      out.final_obs[k] = clone(r.obs);
      out.final_info[k] = clone(r.info);
      out.infos[k] = reset_env(i, next_seed(i), {});
      return;
    }
    write_row(batch, static_cast<int>(i), r.obs);
    out.infos[k] = std::move(r.info);
    if (ended) s.state = SlotState::kEnded;
  }
};

ThreadedVectorEnv::ThreadedVectorEnv(const Factory& factory, VectorEnvOptions options) : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  if (options.num_envs < 1)
    throw InvalidArgument("VectorEnv: expected num_envs >= 1, got " + std::to_string(options.num_envs));
  if (options.num_threads < 0)
    throw InvalidArgument("VectorEnv: expected num_threads >= 0, got " + std::to_string(options.num_threads));
  if (!factory) throw InvalidArgument("VectorEnv: expected an env factory, got an empty function");
  if (options.num_threads == 0)
    options.num_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  options.num_threads = std::min(options.num_threads, options.num_envs);
  m.options = options;

  m.slots.resize(static_cast<std::size_t>(options.num_envs));
  for (int i = 0; i < options.num_envs; ++i) {
    m.slots[static_cast<std::size_t>(i)].env = factory(i);
    if (!m.slots[static_cast<std::size_t>(i)].env)
      throw InvalidArgument("VectorEnv: expected the factory to return an env for index " +
                            std::to_string(i) + ", got null");
  }
  const EnvSpec& first = m.slots[0].env->spec();
  if (!first.observation_space || !first.action_space)
    throw InvalidArgument("VectorEnv: expected env 0's spec to have observation and action spaces, got null");
  // Every env must agree with env 0, or the batch buffers could not hold their observations.
  for (int i = 1; i < options.num_envs; ++i) {
    const EnvSpec& s = m.slots[static_cast<std::size_t>(i)].env->spec();
    if (!s.observation_space || s.observation_space->str() != first.observation_space->str())
      throw InvalidArgument("VectorEnv: expected env " + std::to_string(i) +
                            " to have env 0's observation space " + first.observation_space->str() +
                            ", got " + (s.observation_space ? s.observation_space->str() : "null"));
    if (!s.action_space || s.action_space->str() != first.action_space->str())
      throw InvalidArgument("VectorEnv: expected env " + std::to_string(i) +
                            " to have env 0's action space " + first.action_space->str() + ", got " +
                            (s.action_space ? s.action_space->str() : "null"));
  }
  m.spec = first;
  m.spec.metadata["autoreset_mode"] = to_string(options.autoreset_mode);
  std::tie(m.action_dtype, m.action_shape) = array_layout(*first.action_space);

  m.batch = make_batch(*first.observation_space, options.num_envs);
  const auto n = static_cast<std::size_t>(options.num_envs);
  m.reset_result.obs = m.batch;
  m.reset_result.infos.resize(n);
  m.step_result.obs = m.batch;
  m.step_result.reward = Array(DType::kFloat64, {options.num_envs});
  m.step_result.terminated = Array(DType::kBool, {options.num_envs});
  m.step_result.truncated = Array(DType::kBool, {options.num_envs});
  m.step_result.infos.resize(n);
  m.step_result.final_obs.resize(n);
  m.step_result.final_info.resize(n);

  m.pool = std::make_unique<ThreadPool>(options.num_threads);
}

ThreadedVectorEnv::~ThreadedVectorEnv() {
  try {
    close();
  } catch (...) {
    // A destructor must not throw; close() errors were the env's to report while it was open.
  }
}

int ThreadedVectorEnv::num_envs() const {
  return impl_->options.num_envs;
}
int ThreadedVectorEnv::num_threads() const {
  return impl_->options.num_threads;
}
AutoresetMode ThreadedVectorEnv::autoreset_mode() const {
  return impl_->options.autoreset_mode;
}
const EnvSpec& ThreadedVectorEnv::single_spec() const {
  return impl_->spec;
}

const VectorResetResult& ThreadedVectorEnv::reset(std::optional<std::uint64_t> seed, const Dict& options) {
  Impl& m = *impl_;
  m.check_open("reset");
  std::vector<bool> mask(static_cast<std::size_t>(m.n()), true);
  Dict env_options = options;
  if (auto it = env_options.find("reset_mask"); it != env_options.end()) {
    if (m.options.autoreset_mode != AutoresetMode::kDisabled)
      throw InvalidArgument("VectorEnv::reset: \"reset_mask\" expects DISABLED autoreset mode, got " +
                            to_string(m.options.autoreset_mode));
    const Value& v = it->second;
    const std::string expected = "VectorEnv::reset: expected \"reset_mask\" as bool array of shape [" +
                                 std::to_string(m.n()) + "] or a list of " + std::to_string(m.n()) + " bools";
    if (v.is_array()) {
      const Array& a = v.as_array();
      if (!a.valid() || a.dtype() != DType::kBool || a.shape() != Shape{m.n()})
        throw InvalidArgument(expected + ", got " + describe(a));
      for (int i = 0; i < m.n(); ++i) mask[static_cast<std::size_t>(i)] = a.data<bool>()[i];
    } else if (v.is_list()) {
      const List& l = v.as_list();
      if (l.size() != mask.size())
        throw InvalidArgument(expected + ", got a list of " + std::to_string(l.size()));
      for (std::size_t i = 0; i < l.size(); ++i) {
        if (!l[i].is_bool())
          throw InvalidArgument(expected + ", got " + describe(l[i]) + " at index " + std::to_string(i));
        mask[i] = l[i].as_bool();
      }
    } else {
      throw InvalidArgument(expected + ", got " + describe(v));
    }
    env_options.erase(it);
  }
  if (seed) {
    m.base_seed = *seed;
    for (auto& s : m.slots) s.episodes = 0;
  }
  m.base();
  for (auto& info : m.reset_result.infos) info.clear();
  m.pool->for_each_index(m.n(), [&](std::int64_t i) {
    if (!mask[static_cast<std::size_t>(i)]) return;
    m.reset_result.infos[static_cast<std::size_t>(i)] = m.reset_env(i, m.next_seed(i), env_options);
  });
  return m.reset_result;
}

const VectorResetResult& ThreadedVectorEnv::reset(const std::vector<bool>& mask,
                                          const std::vector<std::uint64_t>& seeds) {
  Impl& m = *impl_;
  m.check_open("reset");
  const auto n = static_cast<std::size_t>(m.n());
  if (mask.size() != n || seeds.size() != n)
    throw InvalidArgument("VectorEnv::reset: expected a mask and seeds of " + std::to_string(n) +
                          " entries each, got " + std::to_string(mask.size()) + " and " +
                          std::to_string(seeds.size()));
  m.base();  // so that a later NEXT_STEP/SAME_STEP autoreset has a base seed to derive from
  for (auto& info : m.reset_result.infos) info.clear();
  m.pool->for_each_index(m.n(), [&](std::int64_t i) {
    const auto k = static_cast<std::size_t>(i);
    if (mask[k]) m.reset_result.infos[k] = m.reset_env(i, seeds[k], {});
  });
  return m.reset_result;
}

const VectorStepResult& ThreadedVectorEnv::step(const Array& actions, const std::vector<bool>& active) {
  Impl& m = *impl_;
  m.check_open("step");
  if (active.size() != static_cast<std::size_t>(m.n()))
    throw InvalidArgument("VectorEnv::step: expected an active mask of " + std::to_string(m.n()) +
                          " entries, got " + std::to_string(active.size()));
  m.check_actions(actions, active);
  m.step_result.reward.fill_zero();
  m.step_result.terminated.fill_zero();
  m.step_result.truncated.fill_zero();
  m.pool->for_each_index(m.n(), [&](std::int64_t i) {
    const auto k = static_cast<std::size_t>(i);
    m.step_result.infos[k].clear();
    m.step_result.final_obs[k].reset();
    m.step_result.final_info[k].reset();
    if (active[k]) m.step_env(i, actions);
  });
  return m.step_result;
}

void ThreadedVectorEnv::close() {
  Impl& m = *impl_;
  if (m.closed) return;
  m.closed = true;
  // Closed and destroyed on their own worker threads, where any thread-bound resource of theirs is current.
  m.pool->for_each_index(m.n(), [&](std::int64_t i) {
    Slot& s = m.slots[static_cast<std::size_t>(i)];
    if (!s.env) return;
    try {
      s.env->close();
    } catch (...) {
      s.env.reset();
      throw;
    }
    s.env.reset();
  });
}

Env& VectorEnv::env(int i) {
  throw Error("VectorEnv::env(" + std::to_string(i) + "): this VectorEnv steps a batch natively and has no per-env "
              "Env objects (a scripted expert needs a physics VectorEnv)");
}

Env& ThreadedVectorEnv::env(int i) {
  impl_->check_open("env");
  if (i < 0 || i >= num_envs())
    throw InvalidArgument("VectorEnv::env: expected an index in [0, " + std::to_string(num_envs()) +
                          "), got " + std::to_string(i));
  return *impl_->slots[static_cast<std::size_t>(i)].env;
}

std::uint64_t ThreadedVectorEnv::episode_seed(int i) const {
  if (i < 0 || i >= num_envs())
    throw InvalidArgument("VectorEnv::episode_seed: expected an index in [0, " + std::to_string(num_envs()) +
                          "), got " + std::to_string(i));
  return impl_->slots[static_cast<std::size_t>(i)].seed;
}

std::int64_t ThreadedVectorEnv::episode_index(int i) const {
  if (i < 0 || i >= num_envs())
    throw InvalidArgument("VectorEnv::episode_index: expected an index in [0, " + std::to_string(num_envs()) +
                          "), got " + std::to_string(i));
  return impl_->slots[static_cast<std::size_t>(i)].episodes - 1;
}

}  // namespace a2w::env
