#include "a2w/wm/world_model_env.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <random>

#include "a2w/env/action_noise.h"
#include "a2w/env/registry.h"
#include "a2w/env/rng.h"
#include "a2w/env/state.h"
#include "a2w/env/video_writer.h"
#include "a2w/wm/register_sim.h"
#include "a2w/wm/world_model.h"

namespace a2w::wm {

using env::Array;
using env::AutoresetMode;
using env::Dict;
using env::DType;
using env::Shape;

// ------------------------------------------------------------------------------------------ terminate_on

std::string to_string(TerminateOn t) {
  switch (t) {
    case TerminateOn::kPredicate:
      return "predicate";
    case TerminateOn::kHead:
      return "head";
    case TerminateOn::kEither:
      return "either";
    case TerminateOn::kBoth:
      return "both";
  }
  return "unknown";
}

TerminateOn parse_terminate_on(std::string_view s) {
  std::string norm;
  for (const char c : s) norm += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const auto t : {TerminateOn::kPredicate, TerminateOn::kHead, TerminateOn::kEither, TerminateOn::kBoth})
    if (norm == to_string(t)) return t;
  throw InvalidArgument("terminate_on: expected predicate, head, either or both, got '" + std::string(s) +
                        "'");
}

std::uint64_t imagined_step_seed(std::uint64_t episode_seed, std::int64_t step) {
  // A different odd constant from episode_seed()'s, so step seeds never coincide with episode seeds.
  return env::splitmix64(env::splitmix64(episode_seed ^ 0xA2A2'5157'0000'0001ull) ^
                         (static_cast<std::uint64_t>(step) * 0xC2B2AE3D27D4EB4Full));
}

// --------------------------------------------------------------------------------------- the vector env

namespace {

enum class SlotState { kNew, kRunning, kEnded };

struct Slot {
  SlotState state = SlotState::kNew;
  std::uint64_t seed = 0;
  std::int64_t episodes = 0;  // resets since the last base-seed reset; the current episode is episodes - 1
  std::int64_t t = 0;         // imagined steps in the current episode
  std::unique_ptr<env::StateJudge> judge;
  Array mask;  // the source's "state/mask" for this episode (invalid when it reports none)
  // The current state (env/state.h): the source's at reset, then the imagined one; and the mask fed with it.
  std::vector<float> state_now = std::vector<float>(env::kStateDim, 0.0f);
  std::vector<float> mask_now = std::vector<float>(env::kStateDim, 0.0f);
  env::ActionNoise noise;  // the source task's action_noise, drawn from this episode's seed
};

// The proprio observations and where the state vector (env/state.h) holds them.
struct ProprioKey {
  const char* key;
  int at, size;
};
constexpr ProprioKey kProprio[] = {{"ee_pos", env::kStateEePos, 3},
                                   {"ee_ori", env::kStateEeOri, 3},
                                   {"gripper_states", env::kStateGripper, 2},
                                   {"joint_states", env::kStateJoints, 7}};

// A proprio observation with the bounds of its Box: predicted values are clipped into them, so an imagined
// observation is always inside the physics task's observation space (state/vector keeps the raw values).
struct Proprio {
  std::string key;
  int at = 0;
  std::vector<float> low, high;
};

// What a view or proprio key must look like in the source's observation space.
void expect_box(const env::DictSpace& space, const std::string& key, DType dtype, const Shape& shape,
                const std::string& source_id) {
  if (!space.has(key))
    throw InvalidArgument("A2World-sim: the initial-state source " + source_id + " should observe '" + key +
                          "' (" + std::string(env::dtype_name(dtype)) + " " + env::shape_str(shape) +
                          "), its observation space is " + space.str());
  const auto [d, s] = env::array_layout(*space.at(key));
  if (d != dtype || s != shape)
    throw InvalidArgument(
        "A2World-sim: the initial-state source " + source_id + " should observe '" + key + "' as " +
        std::string(env::dtype_name(dtype)) + " " + env::shape_str(shape) + ", got " +
        std::string(env::dtype_name(d)) + " " + env::shape_str(s) +
        (s.size() == 3 && shape.size() == 3 ? " (the model imagines this image size)" : ""));
}

}  // namespace

struct WorldModelVectorEnv::Impl {
  std::shared_ptr<WorldModel> model;
  WorldModelConfig cfg;
  WorldModelEnvOptions options;
  env::EnvPtr source;
  env::JudgedEnv* judged = nullptr;  // the source's, or null when it cannot judge predicted states
  env::EnvSpec spec;
  std::vector<std::string> obs_keys;  // the observation space's keys
  std::vector<Proprio> proprio;
  std::int64_t horizon = 0;
  std::int64_t task_row = -1;
  std::int64_t n = 0, v = 0, k = 0, s = 0, ha = 0, a = 0;
  std::size_t frame_bytes = 0;
  // Host buffers of every slot: the K context frames per view (oldest first) and the anchor.
  torch::Tensor context;  // uint8 [N, V, K, S, S, 3]
  torch::Tensor anchor;   // uint8 [N, V, S, S, 3]
  std::vector<Slot> slots;
  std::optional<std::uint64_t> base_seed;
  double action_noise = 0.0;  // the source's spec().metadata "action_noise"
  Dict batch;
  env::VectorResetResult reset_result;
  env::VectorStepResult step_result;
  bool closed = false;

  void check_open(const char* what) const {
    if (closed)
      throw Error(std::string("WorldModelVectorEnv::") + what + ": expected an open env, got a closed one");
  }

  std::uint64_t base() {
    // Drawn once, lazily, as in ThreadedVectorEnv.
    if (!base_seed) base_seed = (std::uint64_t{std::random_device{}()} << 32) ^ std::random_device{}();
    return *base_seed;
  }

  std::uint64_t next_seed(std::int64_t i) const {
    return env::episode_seed(*base_seed, static_cast<std::uint64_t>(i),
                             static_cast<std::uint64_t>(slots[static_cast<std::size_t>(i)].episodes));
  }

  std::uint8_t* context_frame(std::int64_t i, std::int64_t view, std::int64_t frame) {
    return context.data_ptr<std::uint8_t>() +
           static_cast<std::size_t>((i * v + view) * k + frame) * frame_bytes;
  }
  std::uint8_t* anchor_frame(std::int64_t i, std::int64_t view) {
    return anchor.data_ptr<std::uint8_t>() + static_cast<std::size_t>(i * v + view) * frame_bytes;
  }

  // Starts env i's episode from the source reset with `seed`: its observation row, context and anchor,
  // judge. Returns the reset info.
  Dict reset_slot(std::int64_t i, std::uint64_t seed, const Dict& source_options) {
    env::ResetResult r = source->reset(seed, source_options);
    for (std::int64_t view = 0; view < v; ++view) {
      const std::string& key = cfg.view_keys[static_cast<std::size_t>(view)];
      const Array& f = env::get(r.obs, key).as_array();
      if (f.dtype() != DType::kUInt8 || f.shape() != Shape{s, s, 3})
        throw InvalidArgument("A2World-sim: expected the source's '" + key + "' as uint8 array of shape " +
                              env::shape_str({s, s, 3}) + ", got " + env::describe(f));
      std::memcpy(anchor_frame(i, view), f.raw(), frame_bytes);
      for (std::int64_t c = 0; c < k; ++c) std::memcpy(context_frame(i, view, c), f.raw(), frame_bytes);
    }
    Dict row;
    for (const auto& key : obs_keys) row.emplace(key, env::get(r.obs, key));
    env::write_row(batch, static_cast<int>(i), row);
    Slot& slot = slots[static_cast<std::size_t>(i)];
    slot.judge = judged ? judged->make_state_judge() : nullptr;
    const auto m = r.info.find("state/mask");
    slot.mask = m != r.info.end() && m->second.is_array() ? m->second.as_array().clone() : Array();
    const auto sv = r.info.find("state/vector");
    const bool has_state = sv != r.info.end() && sv->second.is_array() &&
                           sv->second.as_array().dtype() == DType::kFloat32 &&
                           sv->second.as_array().shape() == Shape{env::kStateDim};
    if (cfg.state_input && !has_state)
      throw InvalidArgument(
          "A2World-sim: this model imagines each state from the one before, so it needs the "
          "initial state: expected the source's reset info 'state/vector' as float32 [" +
          std::to_string(env::kStateDim) + "], got " +
          (sv == r.info.end() ? std::string("none") : env::describe(sv->second)));
    std::fill(slot.state_now.begin(), slot.state_now.end(), 0.0f);
    std::fill(slot.mask_now.begin(), slot.mask_now.end(), slot.mask.valid() ? 0.0f : 1.0f);
    if (has_state)
      std::memcpy(slot.state_now.data(), sv->second.as_array().raw(), sizeof(float) * env::kStateDim);
    if (slot.mask.valid() && slot.mask.dtype() == DType::kFloat32 && slot.mask.size() == env::kStateDim)
      std::memcpy(slot.mask_now.data(), slot.mask.raw(), sizeof(float) * env::kStateDim);
    slot.seed = seed;
    slot.noise.reset(seed);
    slot.t = 0;
    ++slot.episodes;
    slot.state = SlotState::kRunning;
    Dict info = env::clone(r.info);
    info["imagined"] = false;
    return info;
  }

  void check_actions(const Array& actions, const std::vector<bool>& active) const {
    const Shape expected{n, a};
    if (!actions.valid() || actions.dtype() != DType::kFloat32 || actions.shape() != expected)
      throw InvalidArgument("WorldModelVectorEnv::step: expected actions as float32 array of shape " +
                            env::shape_str(expected) + ", got " + env::describe(actions));
    for (std::int64_t i = 0; i < n; ++i) {
      if (!active[static_cast<std::size_t>(i)]) continue;
      const Slot& sl = slots[static_cast<std::size_t>(i)];
      if (sl.state == SlotState::kNew)
        throw Error("WorldModelVectorEnv::step: env " + std::to_string(i) +
                    " has not been reset; call reset() before step()");
      if (sl.state == SlotState::kEnded) {
        if (options.autoreset_mode == AutoresetMode::kDisabled)
          throw Error(
              "WorldModelVectorEnv::step: env " + std::to_string(i) +
              " ended its episode and autoreset is DISABLED; reset it first with reset(mask, seeds) or "
              "reset(seed, {{\"reset_mask\", mask}})");
        if (options.autoreset_mode == AutoresetMode::kNextStep) continue;  // its action is ignored
      }
      if (actions.row(i).has_non_finite())
        throw InvalidArgument(
            "WorldModelVectorEnv::step: expected finite actions, got NaN or inf in the action of env " +
            std::to_string(i));
    }
  }

  bool terminates(bool predicate, bool head) const {
    switch (options.terminate_on) {
      case TerminateOn::kPredicate:
        return predicate;
      case TerminateOn::kHead:
        return head;
      case TerminateOn::kEither:
        return predicate || head;
      case TerminateOn::kBoth:
        return predicate && head;
    }
    return false;
  }

  // One predict() for the rows in `rows`, then each row's observation, reward, flags and info.
  void imagine(const std::vector<std::int64_t>& rows, const Array& actions) {
    const auto b = static_cast<std::int64_t>(rows.size());
    WorldModelInput in;
    if (b == n) {
      in.context = context;
      in.anchor = anchor;
    } else {
      const torch::Tensor idx = torch::tensor(rows, torch::kLong);
      in.context = context.index_select(0, idx);
      in.anchor = anchor.index_select(0, idx);
    }
    in.actions = torch::empty({b, ha, a}, torch::kFloat);
    float* act = in.actions.data_ptr<float>();
    std::vector<float> executed(static_cast<std::size_t>(a));
    for (std::int64_t j = 0; j < b; ++j) {
      const std::int64_t row = rows[static_cast<std::size_t>(j)];
      const float* src = actions.row(row).data<float>();
      std::copy(src, src + a, executed.begin());
      slots[static_cast<std::size_t>(row)].noise.apply(executed.data(), static_cast<int>(a));  // and clips
      for (std::int64_t h = 0; h < ha; ++h)
        std::copy(executed.begin(), executed.end(), act + (j * ha + h) * a);
    }
    in.task = torch::full({b}, task_row, torch::kLong);
    in.state = torch::empty({b, env::kStateDim}, torch::kFloat);
    in.state_mask = torch::empty({b, env::kStateDim}, torch::kFloat);
    for (std::int64_t j = 0; j < b; ++j) {
      const Slot& sl = slots[static_cast<std::size_t>(rows[static_cast<std::size_t>(j)])];
      std::memcpy(in.state[j].data_ptr<float>(), sl.state_now.data(), sizeof(float) * env::kStateDim);
      std::memcpy(in.state_mask[j].data_ptr<float>(), sl.mask_now.data(), sizeof(float) * env::kStateDim);
    }
    in.seeds.resize(static_cast<std::size_t>(b));
    for (std::int64_t j = 0; j < b; ++j) {
      const Slot& sl = slots[static_cast<std::size_t>(rows[static_cast<std::size_t>(j)])];
      in.seeds[static_cast<std::size_t>(j)] = imagined_step_seed(sl.seed, sl.t);
    }

    WorldModelOutput out;
    {
      torch::NoGradGuard no_grad;
      out = model->predict(in);
    }
    const auto check = [&](const torch::Tensor& t, const char* name, std::vector<std::int64_t> shape,
                           torch::ScalarType dtype) {
      if (!t.defined() || t.sizes() != c10::IntArrayRef(shape) || t.scalar_type() != dtype)
        throw Error("A2World-sim: the world model's predict() returned " + std::string(name) +
                    (t.defined() ? " of dtype " + std::string(c10::toString(t.scalar_type())) +
                                       " and shape " + c10::str(t.sizes())
                                 : std::string(" undefined")) +
                    ", expected " + c10::toString(dtype) + " " + c10::str(c10::IntArrayRef(shape)));
    };
    check(out.frames, "frames", {b, v, s, s, 3}, torch::kUInt8);
    check(out.state, "state", {b, env::kStateDim},
          out.state.defined() ? out.state.scalar_type() : torch::kFloat);
    check(out.success, "success", {b}, out.success.defined() ? out.success.scalar_type() : torch::kFloat);
    check(out.reward, "reward", {b}, out.reward.defined() ? out.reward.scalar_type() : torch::kFloat);
    const torch::Tensor frames = out.frames.to(torch::kCPU).contiguous();
    const torch::Tensor state = out.state.to(torch::kCPU, torch::kFloat).contiguous();
    const torch::Tensor success = out.success.to(torch::kCPU, torch::kFloat).contiguous();
    const torch::Tensor reward = out.reward.to(torch::kCPU, torch::kFloat).contiguous();

    env::VectorStepResult& res = step_result;
    for (std::int64_t j = 0; j < b; ++j) {
      const std::int64_t i = rows[static_cast<std::size_t>(j)];
      const auto ki = static_cast<std::size_t>(i);
      Slot& sl = slots[ki];
      ++sl.t;
      // The new frame joins the context (the oldest leaves) and becomes the observation.
      for (std::int64_t view = 0; view < v; ++view) {
        const std::uint8_t* f =
            frames.data_ptr<std::uint8_t>() + static_cast<std::size_t>(j * v + view) * frame_bytes;
        std::uint8_t* c0 = context_frame(i, view, 0);
        std::memmove(c0, c0 + frame_bytes, static_cast<std::size_t>(k - 1) * frame_bytes);
        std::memcpy(context_frame(i, view, k - 1), f, frame_bytes);
        std::memcpy(batch.at(cfg.view_keys[static_cast<std::size_t>(view)]).as_array().row(i).raw(), f,
                    frame_bytes);
      }
      const float* st = state.data_ptr<float>() + j * env::kStateDim;
      std::copy(st, st + env::kStateDim, sl.state_now.begin());
      for (std::size_t p = 0; p < proprio.size(); ++p) {
        const Proprio& pr = proprio[p];
        float* dst = batch.at(pr.key).as_array().row(i).data<float>();
        for (std::size_t d = 0; d < pr.low.size(); ++d)
          dst[d] = std::clamp(st[pr.at + static_cast<int>(d)], pr.low[d], pr.high[d]);
      }

      const double head = success.data_ptr<float>()[j];
      const double head_reward = reward.data_ptr<float>()[j];
      env::Judgement judged_state;
      if (sl.judge) judged_state = sl.judge->judge(std::span<const float>(st, env::kStateDim));
      const bool head_success = head > options.success_threshold;
      const bool success = terminates(judged_state.success, head_success);
      const bool truncated = horizon > 0 && sl.t >= horizon;
      res.reward.data<double>()[i] = sl.judge ? judged_state.reward : head_reward;
      res.terminated.data<bool>()[i] = success;
      res.truncated.data<bool>()[i] = truncated;
      Dict info;
      info["success"] = success;
      info["is_success"] = success;
      info["success_predicate"] = judged_state.success;
      info["success_head"] = head;
      info["reward_head"] = head_reward;
      info["state/vector"] = Array::from(std::vector<float>(st, st + env::kStateDim), {env::kStateDim});
      if (sl.mask.valid()) info["state/mask"] = sl.mask.clone();
      info["imagined"] = true;
      if (success || truncated) {
        if (options.autoreset_mode == AutoresetMode::kSameStep) {
          res.final_obs[ki] = env::read_row(batch, static_cast<int>(i));
          res.final_info[ki] = std::move(info);
          res.infos[ki] = reset_slot(i, next_seed(i), {});
          continue;
        }
        sl.state = SlotState::kEnded;
      }
      res.infos[ki] = std::move(info);
    }
  }
};

WorldModelVectorEnv::WorldModelVectorEnv(std::shared_ptr<WorldModel> model, WorldModelEnvOptions options)
    : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  if (!model) throw InvalidArgument("WorldModelVectorEnv: expected a world model, got null");
  if (options.num_envs < 1)
    throw InvalidArgument("WorldModelVectorEnv: expected num_envs >= 1, got " +
                          std::to_string(options.num_envs));
  if (options.horizon < 0)
    throw InvalidArgument("WorldModelVectorEnv: expected horizon >= 0, got " +
                          std::to_string(options.horizon));
  if (!(options.success_threshold >= 0.0 && options.success_threshold <= 1.0))
    throw InvalidArgument("WorldModelVectorEnv: expected success_threshold in [0, 1], got " +
                          std::to_string(options.success_threshold));
  if (options.task.empty() && !options.source)
    throw InvalidArgument("WorldModelVectorEnv: expected a task id or a source factory, got neither");
  m.model = std::move(model);
  m.cfg = m.model->config();
  const WorldModelConfig& c = m.cfg;
  if (c.state_dim != env::kStateDim)
    throw InvalidArgument("WorldModelVectorEnv: expected a world model predicting the " +
                          std::to_string(env::kStateDim) +
                          "-float state vector of env/state.h, got state_dim " + std::to_string(c.state_dim));
  if (c.views < 1 || static_cast<int>(c.view_keys.size()) != c.views)
    throw InvalidArgument("WorldModelVectorEnv: expected config().views (" + std::to_string(c.views) +
                          ") view_keys, got " + std::to_string(c.view_keys.size()));
  if (c.context_frames < 1 || c.action_horizon < 1 || c.image_size < 1)
    throw InvalidArgument(
        "WorldModelVectorEnv: expected context_frames, action_horizon and image_size >= 1, got " +
        std::to_string(c.context_frames) + ", " + std::to_string(c.action_horizon) + ", " +
        std::to_string(c.image_size));

  m.source = options.source ? options.source() : a2w::make(options.task, {{"image_size", c.image_size}});
  if (!m.source)
    throw InvalidArgument("WorldModelVectorEnv: expected the source factory to return an env, got null");
  const env::EnvSpec& src = m.source->spec();
  const auto* space = dynamic_cast<const env::DictSpace*>(src.observation_space.get());
  if (!space)
    throw InvalidArgument("WorldModelVectorEnv: expected the source " + src.id +
                          " to have a Dict observation space, got " +
                          (src.observation_space ? src.observation_space->str() : "null"));
  m.n = options.num_envs;
  m.v = c.views;
  m.k = c.context_frames;
  m.s = c.image_size;
  m.ha = c.action_horizon;
  m.a = c.action_dim;
  m.frame_bytes = static_cast<std::size_t>(m.s * m.s * 3);
  for (const auto& key : c.view_keys) expect_box(*space, key, DType::kUInt8, {m.s, m.s, 3}, src.id);
  for (const auto& p : kProprio) {
    expect_box(*space, p.key, DType::kFloat32, {p.size}, src.id);
    const auto& box = dynamic_cast<const env::Box&>(*space->at(p.key));
    Proprio pr{p.key, p.at, {}, {}};
    for (int d = 0; d < p.size; ++d) {
      // float(-inf) stays -inf: unbounded dims clip nothing.
      pr.low.push_back(static_cast<float>(box.low().at(d)));
      pr.high.push_back(static_cast<float>(box.high().at(d)));
    }
    m.proprio.push_back(std::move(pr));
  }
  if (!space->has("instruction") || !dynamic_cast<const env::Text*>(space->at("instruction").get()))
    throw InvalidArgument("A2World-sim: the initial-state source " + src.id +
                          " should observe 'instruction' as text, its observation space is " + space->str());
  const auto [adtype, ashape] = env::array_layout(*src.action_space);
  if (adtype != DType::kFloat32 || ashape != Shape{m.a})
    throw InvalidArgument("A2World-sim: the world model takes float32 actions of shape " +
                          env::shape_str({m.a}) + ", the source " + src.id + " has " +
                          std::string(env::dtype_name(adtype)) + " " + env::shape_str(ashape));

  m.judged = dynamic_cast<env::JudgedEnv*>(&m.source->unwrapped());
  // A task variant with action noise (a what-if perturbation): the imagined episode executes the same noisy
  // actions as the physics one with that seed (env/action_noise.h).
  if (auto it = m.source->spec().metadata.find("action_noise");
      it != m.source->spec().metadata.end() && it->second.is_double())
    m.action_noise = it->second.as_double();
  if (!m.judged && options.terminate_on != TerminateOn::kHead)
    throw InvalidArgument(
        "A2World-sim: terminate_on '" + to_string(options.terminate_on) +
        "' needs the task's success predicate, but the source " + src.id +
        " cannot judge predicted states (it is not a physics task); use terminate_on 'head'");
  m.horizon = options.horizon > 0 ? options.horizon : src.max_episode_steps;

  const std::string task = options.task.empty() ? src.id : options.task;
  for (std::size_t t = 0; t < c.tasks.size(); ++t)
    if (c.tasks[t] == task || c.tasks[t] == src.id) m.task_row = static_cast<std::int64_t>(t);

  // Exactly the physics observations that are imagined; any other source observation (depth) is dropped.
  std::vector<std::pair<std::string, env::SpacePtr>> spaces;
  for (const auto& key : c.view_keys) spaces.emplace_back(key, space->at(key));
  for (const auto& p : kProprio) spaces.emplace_back(p.key, space->at(p.key));
  spaces.emplace_back("instruction", space->at("instruction"));
  for (const auto& [key, sp] : spaces) m.obs_keys.push_back(key);
  m.spec = src;
  if (options.id.empty())
    options.id = task.find('/') != std::string::npos && !is_sim_id(task) ? sim_id_of(task) : task;
  m.spec.id = options.id;
  m.spec.observation_space = env::dict(std::move(spaces));
  m.spec.max_episode_steps = m.horizon;
  m.spec.metadata["imagined"] = true;
  m.spec.metadata["source"] = src.id;
  m.spec.metadata["terminate_on"] = to_string(options.terminate_on);
  m.spec.metadata["success_threshold"] = options.success_threshold;
  m.spec.metadata["autoreset_mode"] = env::to_string(options.autoreset_mode);
  m.options = std::move(options);

  m.context = torch::zeros({m.n, m.v, m.k, m.s, m.s, 3}, torch::kUInt8);
  m.anchor = torch::zeros({m.n, m.v, m.s, m.s, 3}, torch::kUInt8);
  m.slots.resize(static_cast<std::size_t>(m.n));
  for (auto& sl : m.slots) sl.noise = env::ActionNoise(m.action_noise);
  m.batch = env::make_batch(*m.spec.observation_space, static_cast<int>(m.n));
  const auto nn = static_cast<std::size_t>(m.n);
  m.reset_result.obs = m.batch;
  m.reset_result.infos.resize(nn);
  m.step_result.obs = m.batch;
  m.step_result.reward = Array(DType::kFloat64, {m.n});
  m.step_result.terminated = Array(DType::kBool, {m.n});
  m.step_result.truncated = Array(DType::kBool, {m.n});
  m.step_result.infos.resize(nn);
  m.step_result.final_obs.resize(nn);
  m.step_result.final_info.resize(nn);
}

WorldModelVectorEnv::~WorldModelVectorEnv() {
  try {
    close();
  } catch (...) {
    // A destructor must not throw; the source's close() errors were its to report while open.
  }
}

int WorldModelVectorEnv::num_envs() const {
  return static_cast<int>(impl_->n);
}
AutoresetMode WorldModelVectorEnv::autoreset_mode() const {
  return impl_->options.autoreset_mode;
}
const env::EnvSpec& WorldModelVectorEnv::single_spec() const {
  return impl_->spec;
}

const env::VectorResetResult& WorldModelVectorEnv::reset(std::optional<std::uint64_t> seed,
                                                         const Dict& options) {
  Impl& m = *impl_;
  m.check_open("reset");
  std::vector<bool> mask(static_cast<std::size_t>(m.n), true);
  Dict source_options = options;
  if (auto it = source_options.find("reset_mask"); it != source_options.end()) {
    if (m.options.autoreset_mode != AutoresetMode::kDisabled)
      throw InvalidArgument(
          "WorldModelVectorEnv::reset: \"reset_mask\" expects DISABLED autoreset mode, got " +
          env::to_string(m.options.autoreset_mode));
    const env::Value& val = it->second;
    const std::string expected =
        "WorldModelVectorEnv::reset: expected \"reset_mask\" as bool array of shape [" + std::to_string(m.n) +
        "] or a list of " + std::to_string(m.n) + " bools";
    if (val.is_array()) {
      const Array& arr = val.as_array();
      if (!arr.valid() || arr.dtype() != DType::kBool || arr.shape() != Shape{m.n})
        throw InvalidArgument(expected + ", got " + env::describe(arr));
      for (std::int64_t i = 0; i < m.n; ++i) mask[static_cast<std::size_t>(i)] = arr.data<bool>()[i];
    } else if (val.is_list()) {
      const env::List& l = val.as_list();
      if (l.size() != mask.size())
        throw InvalidArgument(expected + ", got a list of " + std::to_string(l.size()));
      for (std::size_t i = 0; i < l.size(); ++i) {
        if (!l[i].is_bool())
          throw InvalidArgument(expected + ", got " + env::describe(l[i]) + " at index " + std::to_string(i));
        mask[i] = l[i].as_bool();
      }
    } else {
      throw InvalidArgument(expected + ", got " + env::describe(val));
    }
    source_options.erase(it);
  }
  if (seed) {
    m.base_seed = *seed;
    for (auto& sl : m.slots) sl.episodes = 0;
  }
  m.base();
  for (auto& info : m.reset_result.infos) info.clear();
  for (std::int64_t i = 0; i < m.n; ++i)
    if (mask[static_cast<std::size_t>(i)])
      m.reset_result.infos[static_cast<std::size_t>(i)] = m.reset_slot(i, m.next_seed(i), source_options);
  return m.reset_result;
}

const env::VectorResetResult& WorldModelVectorEnv::reset(const std::vector<bool>& mask,
                                                         const std::vector<std::uint64_t>& seeds) {
  return reset(mask, seeds, {});
}

const env::VectorResetResult& WorldModelVectorEnv::reset(const std::vector<bool>& mask,
                                                         const std::vector<std::uint64_t>& seeds,
                                                         const Dict& source_options) {
  Impl& m = *impl_;
  m.check_open("reset");
  const auto n = static_cast<std::size_t>(m.n);
  if (mask.size() != n || seeds.size() != n)
    throw InvalidArgument("WorldModelVectorEnv::reset: expected a mask and seeds of " + std::to_string(n) +
                          " entries each, got " + std::to_string(mask.size()) + " and " +
                          std::to_string(seeds.size()));
  m.base();  // so that a later NEXT_STEP/SAME_STEP autoreset has a base seed to derive from
  for (auto& info : m.reset_result.infos) info.clear();
  for (std::size_t i = 0; i < n; ++i)
    if (mask[i])
      m.reset_result.infos[i] = m.reset_slot(static_cast<std::int64_t>(i), seeds[i], source_options);
  return m.reset_result;
}

const env::VectorStepResult& WorldModelVectorEnv::step(const Array& actions,
                                                       const std::vector<bool>& active) {
  Impl& m = *impl_;
  m.check_open("step");
  if (active.size() != static_cast<std::size_t>(m.n))
    throw InvalidArgument("WorldModelVectorEnv::step: expected an active mask of " + std::to_string(m.n) +
                          " entries, got " + std::to_string(active.size()));
  m.check_actions(actions, active);
  env::VectorStepResult& res = m.step_result;
  res.reward.fill_zero();
  res.terminated.fill_zero();
  res.truncated.fill_zero();
  std::vector<std::int64_t> rows;
  for (std::int64_t i = 0; i < m.n; ++i) {
    const auto ki = static_cast<std::size_t>(i);
    res.infos[ki].clear();
    res.final_obs[ki].reset();
    res.final_info[ki].reset();
    if (!active[ki]) continue;
    if (m.slots[ki].state == SlotState::kEnded) {
      // NEXT_STEP (DISABLED threw in check_actions): this step only resets, reward 0, flags false.
      res.infos[ki] = m.reset_slot(i, m.next_seed(i), {});
      continue;
    }
    rows.push_back(i);
  }
  if (!rows.empty()) m.imagine(rows, actions);
  return res;
}

void WorldModelVectorEnv::close() {
  Impl& m = *impl_;
  if (m.closed) return;
  m.closed = true;
  for (auto& sl : m.slots) sl.judge.reset();
  if (m.source) m.source->close();
}

std::uint64_t WorldModelVectorEnv::episode_seed(int i) const {
  if (i < 0 || i >= num_envs())
    throw InvalidArgument("WorldModelVectorEnv::episode_seed: expected an index in [0, " +
                          std::to_string(num_envs()) + "), got " + std::to_string(i));
  return impl_->slots[static_cast<std::size_t>(i)].seed;
}

std::int64_t WorldModelVectorEnv::episode_index(int i) const {
  if (i < 0 || i >= num_envs())
    throw InvalidArgument("WorldModelVectorEnv::episode_index: expected an index in [0, " +
                          std::to_string(num_envs()) + "), got " + std::to_string(i));
  return impl_->slots[static_cast<std::size_t>(i)].episodes - 1;
}

std::int64_t WorldModelVectorEnv::elapsed_steps(int i) const {
  if (i < 0 || i >= num_envs())
    throw InvalidArgument("WorldModelVectorEnv::elapsed_steps: expected an index in [0, " +
                          std::to_string(num_envs()) + "), got " + std::to_string(i));
  return impl_->slots[static_cast<std::size_t>(i)].t;
}

WorldModel& WorldModelVectorEnv::model() {
  return *impl_->model;
}
env::Env& WorldModelVectorEnv::source() {
  return *impl_->source;
}
const WorldModelEnvOptions& WorldModelVectorEnv::options() const {
  return impl_->options;
}

// ------------------------------------------------------------------------------------------ the single env

namespace {

WorldModelEnvOptions single(WorldModelEnvOptions o) {
  o.num_envs = 1;
  o.autoreset_mode = AutoresetMode::kDisabled;
  return o;
}

}  // namespace

WorldModelEnv::WorldModelEnv(std::shared_ptr<WorldModel> model, WorldModelEnvOptions options)
    : vec_(std::make_unique<WorldModelVectorEnv>(std::move(model), single(std::move(options)))) {
  spec_ = vec_->single_spec();
  spec_.metadata.erase("autoreset_mode");  // a single env does not reset by itself
}

WorldModelEnv::~WorldModelEnv() = default;

const env::EnvSpec& WorldModelEnv::spec() const {
  return spec_;
}

env::ResetResult WorldModelEnv::reset(std::optional<std::uint64_t> seed, const Dict& options) {
  const std::uint64_t s = seed ? *seed : stream_.next_u64();
  const auto& r = vec_->reset({true}, {s}, options);
  env::ResetResult out;
  out.obs = env::read_row(r.obs, 0);
  out.info = r.infos[0];
  last_obs_ = out.obs;
  started_ = running_ = true;
  return out;
}

env::StepResult WorldModelEnv::step(const Array& action) {
  if (!running_)
    throw Error(!started_
                    ? "WorldModelEnv::step: expected reset() before the first step()"
                    : "WorldModelEnv::step: the episode ended (terminated or truncated); expected reset() "
                      "before step()");
  const auto [dtype, shape] = env::array_layout(*spec_.action_space);
  if (!action.valid() || action.dtype() != dtype || action.shape() != shape)
    throw InvalidArgument("WorldModelEnv::step: expected a " + std::string(env::dtype_name(dtype)) +
                          " action of shape " + env::shape_str(shape) +
                          " ([dx, dy, dz, droll, dpitch, dyaw, gripper]), got " + env::describe(action));
  if (action.has_non_finite())
    throw InvalidArgument("WorldModelEnv::step: expected finite action values, got NaN or inf");
  Shape batch_shape = shape;
  batch_shape.insert(batch_shape.begin(), 1);
  const auto& r = vec_->step(action.reshape(batch_shape));
  env::StepResult out;
  out.obs = env::read_row(r.obs, 0);
  out.reward = r.reward.data<double>()[0];
  out.terminated = r.terminated.data<bool>()[0];
  out.truncated = r.truncated.data<bool>()[0];
  out.info = r.infos[0];
  last_obs_ = out.obs;
  running_ = !(out.terminated || out.truncated);
  return out;
}

void WorldModelEnv::close() {
  vec_->close();
}

Array WorldModelEnv::render() {
  if (last_obs_.empty()) return {};
  std::vector<Array> views;
  for (const auto& key : vec_->model().config().view_keys) views.push_back(last_obs_.at(key).as_array());
  return env::side_by_side(views);
}

}  // namespace a2w::wm
