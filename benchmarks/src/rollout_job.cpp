#include "a2w/bench/rollout_job.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "a2w/bridge/remote_rollout.h"
#include "a2w/bridge/serve.h"
#include "a2w/env/progress.h"
#include "a2w/env/record_episode.h"
#include "a2w/env/registry.h"
#include "a2w/env/video_writer.h"
#include "a2w/env/wrapper.h"
#include "a2w/tasks/expert.h"
#include "a2w/tasks/tasks.h"
#include "a2w/wm/policy_loader.h"
#include "a2w/wm/register_sim.h"
#include "a2w/wm/threads.h"

namespace a2w::bench {
namespace {

// Demos of every env slot go into one DatasetWriter; slots finish episodes on worker threads, so appends
// are serialised. Each demo carries its seed, which pairs it with its episode whatever the order.
class SharedDataset {
 public:
  SharedDataset(const std::string& path, env::DatasetWriterOptions options)
      : writer_(std::filesystem::path(path), std::move(options)) {}
  void append(const env::Demo& demo) {
    std::lock_guard lock(mu_);
    writer_.append(demo);
  }
  void close() { writer_.close(); }

 private:
  std::mutex mu_;
  env::DatasetWriter writer_;
};

class RecordInto final : public env::Wrapper {
 public:
  RecordInto(env::EnvPtr inner, SharedDataset& sink) : Wrapper(std::move(inner)), sink_(sink) {}
  env::ResetResult reset(std::optional<std::uint64_t> seed, const env::Dict& options) override {
    auto r = inner_->reset(seed, options);
    buffer_.begin(r.obs, r.info, seed);
    return r;
  }
  env::StepResult step(const env::Array& action) override {
    auto r = inner_->step(action);
    buffer_.add(action, r);
    if (r.terminated || r.truncated) sink_.append(buffer_.finish());
    return r;
  }

 private:
  SharedDataset& sink_;
  env::EpisodeBuffer buffer_;
};

std::vector<std::string> camera_keys(const env::Dict& obs) {
  std::vector<std::string> keys;
  for (const char* k : {"agentview_rgb", "eye_in_hand_rgb"})
    if (obs.count(k)) keys.emplace_back(k);
  return keys;
}

}  // namespace

namespace {

std::unique_ptr<env::Policy> make_noiseless_policy(const std::string& name, env::VectorEnv& envs,
                                                   std::uint64_t seed, const std::string& device) {
  if (name == "random") return std::make_unique<env::RandomPolicy>(envs.single_spec().action_space, seed);
  // A policy served elsewhere (a2w serve policy, a Python serve_policy, an OpenPI server); URL options in
  // bridges/include/a2w/bridge/serve.h.
  if (bridge::is_remote_policy(name)) return bridge::make_remote_policy(name, &envs);
  // A learned policy from a file (a BC checkpoint, a TorchScript module; wm/policy_loader.h), by content.
  if (wm::is_policy_file(name)) return wm::load_policy(name, &envs, device);
  throw InvalidArgument(
      "unknown policy '" + name +
      "'; expected one of: expert, random, zmq://HOST:PORT, openpi://HOST:PORT, or a policy file "
      "(*.a2wp from a2w policy train, a TorchScript *.pt)");
}

}  // namespace

std::unique_ptr<env::Policy> make_policy(const std::string& name, env::VectorEnv& envs, double noise,
                                         std::uint64_t seed, const std::string& device) {
  // The expert draws its own noise (it knows when it is idle); any other policy gets it added to its actions.
  if (name == "expert") return std::make_unique<tasks::ExpertPolicy>(envs, noise, seed);
  auto policy = make_noiseless_policy(name, envs, seed, device);
  if (noise > 0) return std::make_unique<env::NoisyPolicy>(std::move(policy), noise, seed ^ 0x4E4F495345ull);
  return policy;
}

RolloutReport run_rollout(const RolloutJob& job) {
  tasks::register_tasks();
  wm::register_sim_envs();
  if (job.episodes < 1) throw InvalidArgument("episodes: expected >= 1, got " + std::to_string(job.episodes));
  if (!job.seeds.empty() && static_cast<std::int64_t>(job.seeds.size()) != job.episodes)
    throw InvalidArgument("RolloutJob: " + std::to_string(job.seeds.size()) + " seeds for " +
                          std::to_string(job.episodes) + " episodes; expected one seed per episode");
  if (job.sim != "physics" && job.sim != "wm")
    throw InvalidArgument("--sim: expected physics or wm, got '" + job.sim + "'");
  const bool imagined = job.sim == "wm" || wm::is_sim_id(job.task);
  if (imagined && job.policy == "expert")
    throw InvalidArgument(
        "policy 'expert' reads the physics simulator's privileged state, which A2World-sim does "
        "not have; use --policy random (or a learned policy) with --sim wm / a2w-sim ids");
  if (imagined && !job.record.empty())
    throw InvalidArgument("--record: recording A2World-sim episodes is not supported yet; record in physics");
  if (!job.video.empty() && !job.overwrite && std::filesystem::exists(job.video))
    throw InvalidArgument("--video: " + job.video + " exists; expected a new file name (or --overwrite)");
  const int num_envs =
      job.num_envs > 0 ? job.num_envs : static_cast<int>(std::min<std::int64_t>(job.episodes, 8));
  std::unique_ptr<SharedDataset> dataset;
  if (!job.record.empty())
    dataset = std::make_unique<SharedDataset>(
        job.record, env::DatasetWriterOptions{job.task, job.env_options, job.overwrite});
  // Built before the envs so an unknown id fails before anything is written.
  (void)a2w::registration(job.task);

  std::unique_ptr<env::VectorEnv> vec;
  if (imagined) {
    // One batched world model for every slot; its options are the sim's (wm/register_sim.h).
    env::Dict options = job.env_options;
    if (!job.checkpoint.empty()) options["checkpoint"] = job.checkpoint;
    if (job.device != "cpu") options["device"] = job.device;
    wm::set_torch_threads(job.num_threads);
    vec = wm::make_sim_vector_env(job.task, options, num_envs, env::AutoresetMode::kDisabled);
  } else {
    vec = std::make_unique<env::ThreadedVectorEnv>(
        [&](int) -> env::EnvPtr {
          auto e = a2w::make(job.task, job.env_options);
          if (dataset) return std::make_unique<RecordInto>(std::move(e), *dataset);
          return e;
        },
        env::VectorEnvOptions{num_envs, job.num_threads, env::AutoresetMode::kDisabled});
  }
  env::VectorEnv& envs = *vec;
  auto policy = make_policy(job.policy, envs, job.noise, job.seed, job.device);

  env::Progress progress("rollout " + job.task, job.episodes, job.progress ? stderr : nullptr);
  std::int64_t successes = 0, done = 0, steps = 0;
  std::map<std::int64_t, std::vector<env::Array>> frames;  // episode -> frames, for the video
  env::RolloutOptions ro;
  ro.episodes = job.episodes;
  ro.base_seed = job.seed;
  ro.seeds = job.seeds;
  ro.on_episode = [&](const env::EpisodeMetrics& m) {
    successes += m.success_once;
    steps += m.length;
    ++done;
    std::ostringstream post;
    post.precision(3);
    post << "success " << static_cast<double>(successes) / static_cast<double>(done);
    progress.set_postfix(post.str());
    progress.advance();
    if (job.on_episode) job.on_episode(m);
  };
  if (!job.video.empty())
    ro.on_observe = [&](const env::Dict& obs, const std::vector<std::int64_t>& slot_episode) {
      const auto keys = camera_keys(obs);
      if (keys.empty()) return;
      for (std::size_t i = 0; i < slot_episode.size(); ++i) {
        const std::int64_t k = slot_episode[i];
        if (k < 0 || k >= job.video_episodes) continue;
        std::vector<env::Array> views;
        for (const auto& key : keys)
          views.push_back(obs.at(key).as_array().row(static_cast<std::int64_t>(i)));
        frames[k].push_back(env::side_by_side(views));
      }
    };

  const auto t0 = std::chrono::steady_clock::now();
  RolloutReport report;
  // bridge::rollout is env::rollout, except that a remote policy's failure (its server died) fails the
  // episodes in flight and keeps the finished ones instead of failing the whole run.
  report.episodes =
      bridge::rollout(envs, *policy, ro, [](const std::string& m) { std::cerr << "a2w: " << m << "\n"; });
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  progress.finish();
  envs.close();
  if (dataset) dataset->close();
  if (!job.video.empty()) {
    if (frames.empty())
      throw InvalidArgument("--video: the env has no camera observations (is rendering off?)");
    const auto& first = frames.begin()->second.front();
    env::VideoWriter video(job.video, static_cast<int>(first.dim(1)), static_cast<int>(first.dim(0)),
                           envs.single_spec().control_hz > 0 ? envs.single_spec().control_hz : 20.0);
    for (const auto& [k, list] : frames)
      for (const auto& f : list) video.write(f);
    video.close();
  }
  report.task = imagined ? envs.single_spec().id : job.task;  // "a2w-sim/...": say where it ran
  report.policy = job.policy;
  report.summary = env::summarize(report.episodes);
  report.steps_per_second = report.seconds > 0 ? static_cast<double>(steps) / report.seconds : 0.0;
  return report;
}

env::Dict RolloutReport::to_dict() const {
  env::List eps;
  for (const auto& e : episodes)
    eps.emplace_back(env::Dict{{"episode", e.episode},
                               {"seed", std::to_string(e.seed)},
                               {"success_once", e.success_once},
                               {"success_at_end", e.success_at_end},
                               {"return", e.ret},
                               {"length", e.length},
                               {"terminated", e.terminated},
                               {"truncated", e.truncated}});
  return env::Dict{{"task", task},
                   {"policy", policy},
                   {"episodes", summary.episodes},
                   {"success_rate", summary.success_rate},
                   {"success_at_end_rate", summary.success_at_end_rate},
                   {"mean_return", summary.mean_return},
                   {"mean_length", summary.mean_length},
                   {"seconds", seconds},
                   {"steps_per_second", steps_per_second},
                   {"per_episode", eps}};
}

std::string RolloutReport::to_text() const {
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(3);
  s << task << " with policy '" << policy << "': " << summary.episodes << " episodes\n";
  s << "success rate " << summary.success_rate << "  (at end " << summary.success_at_end_rate << ")\n";
  s << "mean return  " << summary.mean_return << "\n";
  s.precision(1);
  s << "mean length  " << summary.mean_length << " steps\n";
  s << "time         " << seconds << " s (" << steps_per_second << " env steps/s)\n";
  return s.str();
}

}  // namespace a2w::bench
