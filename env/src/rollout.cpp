#include "a2w/env/rollout.h"

#include <algorithm>

namespace a2w::env {

namespace {

bool step_success(const Dict& info) {
  auto it = info.find("success");
  if (it == info.end() || it->second.is_none()) return false;
  try {
    return it->second.as_bool();
  } catch (const InvalidArgument& e) {
    throw InvalidArgument(std::string("rollout: info \"success\": ") + e.what());
  }
}

// One slot of the VectorEnv: the episode it runs and the action chunk it is executing.
struct Slot {
  bool active = false;
  EpisodeMetrics metrics;
  Array chunk;             // [H, ...action shape]
  std::int64_t next = 0;   // next row of the chunk to execute
  std::int64_t until = 0;  // rows [0, until) of the chunk are executed before the policy is asked again
};

}  // namespace

std::vector<EpisodeMetrics> rollout(VectorEnv& envs, Policy& policy, const RolloutOptions& options) {
  if (envs.autoreset_mode() != AutoresetMode::kDisabled)
    throw InvalidArgument("rollout: expected a VectorEnv in DISABLED autoreset mode, got " +
                          to_string(envs.autoreset_mode()));
  const std::int64_t episodes = options.episodes;
  if (episodes < 0) throw InvalidArgument("rollout: expected episodes >= 0, got " + std::to_string(episodes));
  if (!options.seeds.empty() && static_cast<std::int64_t>(options.seeds.size()) < episodes)
    throw InvalidArgument("rollout: expected at least " + std::to_string(episodes) + " seeds, got " +
                          std::to_string(options.seeds.size()));
  if (options.replan_every < 0)
    throw InvalidArgument("rollout: expected replan_every >= 0, got " + std::to_string(options.replan_every));

  const int n = envs.num_envs();
  const auto [dtype, action_shape] = array_layout(*envs.single_spec().action_space);
  Shape batch_shape = action_shape;
  batch_shape.insert(batch_shape.begin(), n);
  Array actions(dtype, batch_shape);

  std::vector<Slot> slots(static_cast<std::size_t>(n));
  std::vector<EpisodeMetrics> finished;
  finished.reserve(static_cast<std::size_t>(episodes));
  std::int64_t next_episode = 0;
  const Dict* obs = nullptr;

  // Gives every idle slot the next pending episode, lowest slot first; which slot runs an episode does not
  // matter because its seed and its actions depend only on the episode.
  auto start_episodes = [&] {
    std::vector<bool> mask(static_cast<std::size_t>(n), false);
    std::vector<std::uint64_t> seeds(static_cast<std::size_t>(n), 0);
    bool any = false;
    for (int s = 0; s < n && next_episode < episodes; ++s) {
      Slot& slot = slots[static_cast<std::size_t>(s)];
      if (slot.active) continue;
      const std::int64_t k = next_episode++;
      const std::uint64_t seed = options.seeds.empty()
                                     ? episode_seed(options.base_seed, static_cast<std::uint64_t>(k), 0)
                                     : options.seeds[static_cast<std::size_t>(k)];
      slot.active = true;
      slot.metrics.final_info.clear();  // field by field: `slot = Slot{}` trips a false GCC 12 warning
      slot.metrics.episode = k;
      slot.metrics.seed = seed;
      slot.metrics.success_once = slot.metrics.success_at_end = false;
      slot.metrics.ret = 0.0;
      slot.metrics.length = 0;
      slot.metrics.terminated = slot.metrics.truncated = false;
      slot.next = slot.until = 0;
      mask[static_cast<std::size_t>(s)] = true;
      seeds[static_cast<std::size_t>(s)] = seed;
      any = true;
    }
    if (!any) return;
    obs = &envs.reset(mask, seeds).obs;
    policy.reset(mask, seeds);
    if (options.on_observe) {
      std::vector<std::int64_t> fresh(static_cast<std::size_t>(n), -1);
      for (int s = 0; s < n; ++s)
        if (mask[static_cast<std::size_t>(s)])
          fresh[static_cast<std::size_t>(s)] = slots[static_cast<std::size_t>(s)].metrics.episode;
      options.on_observe(*obs, fresh);
    }
  };

  auto check_policy_output = [&](const Array& out) -> std::int64_t {
    const int a = static_cast<int>(action_shape.size());
    const bool single = out.valid() && out.ndim() == a + 1;
    const bool chunk = out.valid() && out.ndim() == a + 2;
    bool ok = out.valid() && out.dtype() == dtype && (single || chunk) && out.dim(0) == n;
    if (ok) {
      const int offset = single ? 1 : 2;
      for (int d = 0; d < a; ++d)
        ok = ok && out.shape()[static_cast<std::size_t>(d + offset)] == action_shape[d];
      if (chunk) ok = ok && out.dim(1) >= 1;
    }
    if (!ok) {
      const std::string tail = shape_str(action_shape).substr(1);
      throw InvalidArgument("rollout: expected policy '" + policy.name() + "' to return " +
                            std::string(dtype_name(dtype)) + " actions [" + std::to_string(n) +
                            (action_shape.empty() ? "]" : ", " + tail) + " or chunks [" + std::to_string(n) +
                            ", H" + (action_shape.empty() ? "]" : ", " + tail) + ", got " + describe(out));
    }
    return single ? 1 : out.dim(1);
  };

  start_episodes();
  while (true) {
    // wanted: the active slots that have run out of their chunk.
    std::vector<bool> active(static_cast<std::size_t>(n)), wanted(static_cast<std::size_t>(n));
    bool any_active = false, need_actions = false;
    for (int s = 0; s < n; ++s) {
      const Slot& slot = slots[static_cast<std::size_t>(s)];
      const auto k = static_cast<std::size_t>(s);
      active[k] = slot.active;
      wanted[k] = slot.active && slot.next >= slot.until;
      any_active = any_active || slot.active;
      need_actions = need_actions || wanted[k];
    }
    if (!any_active) break;

    if (need_actions) {
      const Array out = policy.act_rows(*obs, wanted);
      const std::int64_t h = check_policy_output(out);
      const std::int64_t until =
          options.replan_every > 0 ? std::min<std::int64_t>(options.replan_every, h) : h;
      // Only slots that ran out take the new output; the others keep executing their chunk, so an episode's
      // actions never depend on when its neighbours in the batch needed theirs.
      for (int s = 0; s < n; ++s) {
        if (!wanted[static_cast<std::size_t>(s)]) continue;
        Slot& slot = slots[static_cast<std::size_t>(s)];
        Shape chunk_shape = action_shape;
        chunk_shape.insert(chunk_shape.begin(), h);
        slot.chunk = out.row(s).reshape(chunk_shape).clone();
        slot.next = 0;
        slot.until = until;
      }
    }

    for (int s = 0; s < n; ++s) {
      Slot& slot = slots[static_cast<std::size_t>(s)];
      if (slot.active) actions.row(s).copy_from(slot.chunk.row(slot.next++));
    }
    const VectorStepResult& r = envs.step(actions, active);
    obs = &r.obs;
    if (options.on_observe) {
      std::vector<std::int64_t> stepped(static_cast<std::size_t>(n), -1);
      for (int s = 0; s < n; ++s)
        if (active[static_cast<std::size_t>(s)])
          stepped[static_cast<std::size_t>(s)] = slots[static_cast<std::size_t>(s)].metrics.episode;
      options.on_observe(*obs, stepped);
    }

    for (int s = 0; s < n; ++s) {
      Slot& slot = slots[static_cast<std::size_t>(s)];
      if (!slot.active) continue;
      const auto k = static_cast<std::size_t>(s);
      EpisodeMetrics& m = slot.metrics;
      const bool success = step_success(r.infos[k]);
      m.ret += r.reward.data<double>()[s];
      m.length += 1;
      m.success_once = m.success_once || success;
      m.success_at_end = success;
      m.terminated = r.terminated.data<bool>()[s];
      m.truncated = r.truncated.data<bool>()[s];
      if (m.terminated || m.truncated) {
        m.final_info = clone(r.infos[k]);
        if (options.on_episode) options.on_episode(m);
        finished.push_back(std::move(m));
        slot.active = false;
      }
    }
    start_episodes();
  }

  std::sort(finished.begin(), finished.end(),
            [](const EpisodeMetrics& a, const EpisodeMetrics& b) { return a.episode < b.episode; });
  return finished;
}

RolloutSummary summarize(const std::vector<EpisodeMetrics>& episodes) {
  RolloutSummary s;
  s.episodes = static_cast<std::int64_t>(episodes.size());
  if (episodes.empty()) return s;
  for (const auto& e : episodes) {
    s.success_rate += e.success_once ? 1.0 : 0.0;
    s.success_at_end_rate += e.success_at_end ? 1.0 : 0.0;
    s.mean_return += e.ret;
    s.mean_length += static_cast<double>(e.length);
  }
  const auto n = static_cast<double>(episodes.size());
  s.success_rate /= n;
  s.success_at_end_rate /= n;
  s.mean_return /= n;
  s.mean_length /= n;
  return s;
}

}  // namespace a2w::env
