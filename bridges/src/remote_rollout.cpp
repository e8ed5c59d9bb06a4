#include "a2w/bridge/remote_rollout.h"

#include <algorithm>
#include <map>
#include <set>

#include "a2w/bridge/errors.h"
#include "a2w/env/rng.h"

namespace a2w::bridge {

namespace {

// Forwards to the policy and notes whether a failure came from a reset, and for how many slots: env::rollout
// starts episodes in order and calls reset() before it reports them, so those episodes were being started.
// It also notes whether the policy threw: an env's failure (a RemoteEnv's server) is not the policy's.
class Tracking final : public env::Policy {
 public:
  explicit Tracking(env::Policy& inner) : inner_(inner) {}
  std::string name() const override { return inner_.name(); }
  env::Array act(const env::Dict& obs) override {
    try {
      return inner_.act(obs);
    } catch (...) {
      policy_threw = true;
      throw;
    }
  }
  env::Array act_rows(const env::Dict& obs, const std::vector<bool>& wanted) override {
    try {
      return inner_.act_rows(obs, wanted);
    } catch (...) {
      policy_threw = true;
      throw;
    }
  }
  void reset(const std::vector<bool>& mask) override {
    track(mask, [&] { inner_.reset(mask); });
  }
  void reset(const std::vector<bool>& mask, const std::vector<std::uint64_t>& seeds) override {
    track(mask, [&] { inner_.reset(mask, seeds); });
  }
  bool in_reset = false;
  bool policy_threw = false;
  std::int64_t resetting = 0;

 private:
  template <class F>
  void track(const std::vector<bool>& mask, F&& reset) {
    in_reset = true;
    resetting = std::count(mask.begin(), mask.end(), true);
    try {
      reset();
    } catch (...) {
      policy_threw = true;
      throw;
    }
    in_reset = false;
  }
  env::Policy& inner_;
};

std::string episode_list(const std::vector<std::int64_t>& ks) {
  std::string s;
  for (std::size_t i = 0; i < ks.size() && i < 10; ++i) s += (i ? ", " : "") + std::to_string(ks[i]);
  if (ks.size() > 10) s += ", ...";
  return s;
}

}  // namespace

OnPolicyFailure parse_on_policy_failure(std::string_view s) {
  if (s == "stop") return OnPolicyFailure::kStop;
  if (s == "continue") return OnPolicyFailure::kContinue;
  throw InvalidArgument("on_failure: expected stop or continue, got '" + std::string(s) + "'");
}

std::vector<env::EpisodeMetrics> rollout(env::VectorEnv& envs, env::Policy& policy,
                                         const env::RolloutOptions& options,
                                         const std::function<void(const std::string&)>& on_failure_message) {
  const auto* remote = dynamic_cast<const FallibleRemote*>(&policy);
  if (!remote) return env::rollout(envs, policy, options);
  if (!options.seeds.empty() && static_cast<std::int64_t>(options.seeds.size()) < options.episodes)
    throw InvalidArgument("rollout: expected at least " + std::to_string(options.episodes) + " seeds, got " +
                          std::to_string(options.seeds.size()));

  auto seed_of = [&](std::int64_t k) {
    return options.seeds.empty() ? env::episode_seed(options.base_seed, static_cast<std::uint64_t>(k), 0)
                                 : options.seeds[static_cast<std::size_t>(k)];
  };
  std::vector<std::int64_t> pending;  // global episode indices still to run, in order
  for (std::int64_t k = 0; k < options.episodes; ++k) pending.push_back(k);
  std::vector<env::EpisodeMetrics> results;
  Tracking tracking(policy);

  while (!pending.empty()) {
    std::set<std::int64_t> started, finished;  // local indices of this attempt
    std::map<std::int64_t, std::int64_t> frames;
    env::RolloutOptions ro = options;
    ro.episodes = static_cast<std::int64_t>(pending.size());
    ro.seeds.clear();
    for (auto k : pending) ro.seeds.push_back(seed_of(k));
    ro.on_episode = [&](const env::EpisodeMetrics& m) {
      finished.insert(m.episode);
      env::EpisodeMetrics g = m;
      g.episode = pending[static_cast<std::size_t>(m.episode)];
      if (options.on_episode) options.on_episode(g);
      results.push_back(std::move(g));
    };
    ro.on_observe = [&](const env::Dict& obs, const std::vector<std::int64_t>& slot_episode) {
      std::vector<std::int64_t> global(slot_episode.size(), -1);
      for (std::size_t i = 0; i < slot_episode.size(); ++i) {
        const std::int64_t e = slot_episode[i];
        if (e < 0) continue;
        started.insert(e);
        ++frames[e];
        global[i] = pending[static_cast<std::size_t>(e)];
      }
      if (options.on_observe) options.on_observe(obs, global);
    };
    std::string reason;
    tracking.policy_threw = false;
    tracking.in_reset = false;
    try {
      env::rollout(envs, tracking, ro);
      break;
    } catch (const Unavailable& e) {
      if (!tracking.policy_threw) throw;
      reason = e.what();
    } catch (const RemoteError& e) {
      if (!tracking.policy_threw) throw;
      reason = e.what();
    }
    // The episodes in flight failed; so did those being started when a reset failed.
    std::vector<std::int64_t> failed_local;
    for (auto e : started)
      if (!finished.count(e)) failed_local.push_back(e);
    if (tracking.in_reset) {
      const std::int64_t next = started.empty() ? 0 : *started.rbegin() + 1;
      for (std::int64_t e = next; e < next + tracking.resetting && e < ro.episodes; ++e)
        failed_local.push_back(e);
      tracking.in_reset = false;
    }
    std::vector<std::int64_t> failed_global;
    for (auto e : failed_local) {
      env::EpisodeMetrics m;
      m.episode = pending[static_cast<std::size_t>(e)];
      m.seed = ro.seeds[static_cast<std::size_t>(e)];
      m.length = std::max<std::int64_t>(0, frames[e] - 1);
      m.final_info["policy_error"] = reason;
      failed_global.push_back(m.episode);
      if (options.on_episode) options.on_episode(m);
      results.push_back(std::move(m));
    }
    std::vector<std::int64_t> rest;
    const std::set<std::int64_t> failed_set(failed_local.begin(), failed_local.end());
    for (std::int64_t e = 0; e < ro.episodes; ++e)
      if (!started.count(e) && !failed_set.count(e)) rest.push_back(pending[static_cast<std::size_t>(e)]);
    const bool stop = remote->on_failure() == OnPolicyFailure::kStop;
    if (on_failure_message)
      on_failure_message("policy '" + policy.name() + "' failed; episode" +
                         (failed_global.size() == 1 ? " " : "s ") + episode_list(failed_global) +
                         " failed: " + reason + "; " +
                         (stop ? std::to_string(rest.size()) + " episodes not run (on_failure=stop)"
                               : "going on with the " + std::to_string(rest.size()) + " episodes left"));
    if (stop) break;
    pending = std::move(rest);
  }
  std::sort(results.begin(), results.end(),
            [](const env::EpisodeMetrics& a, const env::EpisodeMetrics& b) { return a.episode < b.episode; });
  return results;
}

}  // namespace a2w::bridge
