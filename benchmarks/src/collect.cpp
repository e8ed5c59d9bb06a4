#include "a2w/bench/collect.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <thread>

#include "a2w/bench/rollout_job.h"
#include "a2w/env/atomic_file.h"
#include "a2w/env/json.h"
#include "a2w/env/progress.h"
#include "a2w/env/record_episode.h"
#include "a2w/env/registry.h"
#include "a2w/env/rng.h"
#include "a2w/tasks/tasks.h"

namespace a2w::bench {
namespace fs = std::filesystem;

namespace {

std::string task_folder(const std::string& id) {
  const auto slash = id.find('/');
  return slash == std::string::npos ? id : id.substr(slash + 1);
}

std::string noise_tag(double noise) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "noise%.2f", noise);
  return buf;
}

}  // namespace

CollectReport collect(const CollectJob& job) {
  tasks::register_tasks();
  if (job.out.empty()) throw InvalidArgument("collect: expected an output folder, got an empty path");
  if (job.episodes < 1)
    throw InvalidArgument("collect: episodes expected >= 1, got " + std::to_string(job.episodes));
  if (job.noise_levels.empty()) throw InvalidArgument("collect: expected at least one noise level, got none");
  for (double n : job.noise_levels)
    if (!(n >= 0.0 && n <= 2.0))
      throw InvalidArgument("collect: noise levels expected in [0, 2], got " + std::to_string(n));
  std::vector<std::string> ids = job.tasks;
  if (ids.empty())
    for (const auto& id : registered_ids())
      if (id.rfind("a2w/", 0) == 0) ids.push_back(id);
  for (const auto& id : ids) (void)registration(id);  // unknown ids fail before any simulation

  const int cores = std::max(1u, std::thread::hardware_concurrency());
  const int num_envs = job.num_envs > 0 ? job.num_envs : 2 * cores;
  const int threads = job.num_threads > 0 ? job.num_threads : cores;
  fs::create_directories(job.out);

  CollectReport report;
  report.out = job.out;
  env::Progress progress("collect",
                         static_cast<std::int64_t>(ids.size() * job.noise_levels.size()) * job.episodes,
                         job.progress ? stderr : nullptr);
  const auto t0 = std::chrono::steady_clock::now();
  for (std::size_t ti = 0; ti < ids.size(); ++ti) {
    for (std::size_t ni = 0; ni < job.noise_levels.size(); ++ni) {
      const double noise = job.noise_levels[ni];
      const fs::path folder = fs::path(job.out) / task_folder(ids[ti]);
      env::ThreadedVectorEnv envs(
          [&](int slot) -> env::EnvPtr {
            env::RecordEpisodeOptions ro;
            ro.folder = folder;
            ro.prefix = noise_tag(noise) + "_env" + std::to_string(slot);
            ro.episodes_per_file = job.episodes_per_file;
            ro.env_id = ids[ti];
            ro.env_options = job.env_options;
            ro.overwrite = job.overwrite;
            return std::make_unique<env::RecordEpisode>(a2w::make(ids[ti], job.env_options), ro);
          },
          {num_envs, threads, env::AutoresetMode::kDisabled});
      auto policy = make_policy("expert", envs, noise, env::episode_seed(job.seed, ti, ni + 1000));
      CollectReport::Run run{ids[ti], noise};
      std::int64_t successes = 0;
      env::RolloutOptions opts;
      opts.episodes = job.episodes;
      opts.base_seed = env::episode_seed(job.seed, ti, ni);
      opts.on_episode = [&](const env::EpisodeMetrics& m) {
        successes += m.success_once;
        run.steps += m.length;
        ++run.episodes;
        std::ostringstream post;
        post.precision(2);
        post << task_folder(ids[ti]) << " noise " << noise << " success "
             << static_cast<double>(successes) / static_cast<double>(run.episodes);
        progress.set_postfix(post.str());
        progress.advance();
      };
      env::rollout(envs, *policy, opts);
      envs.close();  // finalises every recorder's last file (and destroys the envs)
      const std::string prefix = noise_tag(noise) + "_env";
      std::vector<std::string> written;
      for (const auto& entry : fs::directory_iterator(folder)) {
        const std::string name = entry.path().filename().string();
        if (name.rfind(prefix, 0) == 0 && entry.path().extension() == ".hdf5")
          written.push_back((fs::path(task_folder(ids[ti])) / name).string());
      }
      std::sort(written.begin(), written.end());
      report.files.insert(report.files.end(), written.begin(), written.end());
      run.success_rate =
          run.episodes ? static_cast<double>(successes) / static_cast<double>(run.episodes) : 0.0;
      report.runs.push_back(run);
    }
  }
  progress.finish();
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  // The manifest last, via a temp file: its presence means the folder is complete.
  env::Dict manifest = report.to_dict();
  manifest["env_options"] = job.env_options;
  manifest["seed"] = std::to_string(job.seed);
  env::write_file_atomic(fs::path(job.out) / "manifest.json", env::to_json(manifest, true) + "\n");
  return report;
}

env::Dict CollectReport::to_dict() const {
  env::List rs, fl;
  for (const auto& r : runs)
    rs.emplace_back(env::Dict{{"task", r.task},
                              {"noise", r.noise},
                              {"episodes", r.episodes},
                              {"steps", r.steps},
                              {"success_rate", r.success_rate}});
  for (const auto& f : files) fl.emplace_back(f);
  return env::Dict{{"out", out}, {"runs", rs}, {"files", fl}, {"seconds", seconds}};
}

std::string CollectReport::to_text() const {
  std::ostringstream s;
  s.setf(std::ios::fixed);
  std::int64_t eps = 0, steps = 0;
  for (const auto& r : runs) {
    s.precision(2);
    s << r.task << "  noise " << r.noise << "  " << r.episodes << " episodes  success " << r.success_rate
      << "\n";
    eps += r.episodes;
    steps += r.steps;
  }
  s.precision(1);
  s << eps << " episodes, " << steps << " steps in " << files.size() << " files under " << out << " ("
    << seconds << " s)\n";
  return s.str();
}

}  // namespace a2w::bench
