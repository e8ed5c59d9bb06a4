#pragma once
// rollout(): runs a policy for a number of episodes in a VectorEnv and returns per-episode metrics.
//
// Episode k (k = 0 .. episodes-1) always starts from seed episode_seed(base_seed, k, 0) (or seeds[k] when
// given), whichever env slot runs it, so results do not depend on num_envs or threads. The VectorEnv must
// be in DISABLED autoreset mode (the rollout resets slots itself).
//
// Success is read from the step info's "success" (bool, or a number: nonzero is success): success_once if any
// step had it, success_at_end if the last step did. Action chunks [B, H, A] are executed for `replan_every`
// steps (0: the whole chunk) before the policy is asked again. The policy is asked whenever some slot has run
// out of actions; only those slots take rows of the new output, the others finish their chunk, so an
// episode's actions depend on its own observations only (for a policy whose row i depends on obs row i).
// Slots with no episode left are neither stepped nor reset (VectorEnv::step with an active mask); the
// policy still sees their stale rows and its output for them is ignored. Episodes must end (terminated or
// truncated, e.g. by TimeLimit): rollout() runs until every episode has.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "a2w/env/policy.h"
#include "a2w/env/vector_env.h"

namespace a2w::env {

struct EpisodeMetrics {
  std::int64_t episode = 0;  // k
  std::uint64_t seed = 0;
  bool success_once = false;
  bool success_at_end = false;
  double ret = 0.0;         // undiscounted return
  std::int64_t length = 0;  // steps
  bool terminated = false;
  bool truncated = false;
  Dict final_info;  // info of the last step
};

struct RolloutOptions {
  std::int64_t episodes = 10;
  std::uint64_t base_seed = 0;
  // Optional explicit seeds; when non-empty, episode k uses seeds[k] (at least `episodes` entries needed).
  std::vector<std::uint64_t> seeds;
  int replan_every = 0;  // steps of each action chunk to execute before asking again; 0: the whole chunk
  // Called (on the calling thread) as each episode finishes, in finishing order.
  std::function<void(const EpisodeMetrics&)> on_episode;
  // Called with the current batch observations after every reset and every step (for videos); slot_episode[i]
  // is the episode whose new observation row i holds, or -1 when row i holds nothing new (an idle slot, or
  // after a reset a slot that was not reset), so each call hands over every new frame exactly once: the
  // reset frame, then one per step including the last step of the episode. May be empty.
  std::function<void(const Dict& batch_obs, const std::vector<std::int64_t>& slot_episode)> on_observe;
};

struct RolloutSummary {
  std::int64_t episodes = 0;
  double success_rate = 0.0;  // mean success_once
  double success_at_end_rate = 0.0;
  double mean_return = 0.0;
  double mean_length = 0.0;
};

// Metrics sorted by episode index.
std::vector<EpisodeMetrics> rollout(VectorEnv& envs, Policy& policy, const RolloutOptions& options);
RolloutSummary summarize(const std::vector<EpisodeMetrics>& episodes);

}  // namespace a2w::env
