#include "a2w/bench/evaluation.h"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "a2w/bench/rollout_job.h"
#include "a2w/env/error.h"
#include "a2w/env/json.h"
#include "a2w/env/progress.h"
#include "a2w/env/rng.h"
#include "a2w/wm/register_sim.h"
#include "a2w/wm/world_model.h"

namespace a2w::bench {

namespace {

std::uint64_t fnv1a64(const std::string& s) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

// "expert@0.3" -> ("expert", 0.3); anything without a numeric suffix is a name of its own.
std::pair<std::string, double> split_noise(const std::string& spec) {
  const auto at = spec.rfind('@');
  if (at == std::string::npos || at == 0) return {spec, 0.0};
  const std::string tail = spec.substr(at + 1);
  char* end = nullptr;
  const double v = std::strtod(tail.c_str(), &end);
  if (tail.empty() || *end != '\0') return {spec, 0.0};
  if (!(v >= 0.0 && v <= 10.0))
    throw InvalidArgument("policy '" + spec + "': expected an action noise in [0, 10] after '@', got " +
                          tail);
  return {spec.substr(0, at), v};
}

// Drops a partial last line (a writer killed mid-record) so that appending starts on a fresh line.
void drop_partial_line(const std::string& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec || size == 0) return;
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (text.back() == '\n') return;
  const auto nl = text.rfind('\n');
  std::filesystem::resize_file(path, nl == std::string::npos ? 0 : nl + 1);
}

// One write() per record on an O_APPEND descriptor: a record is whole or (killed mid-write) a partial last
// line.
class ResultsAppender {
 public:
  explicit ResultsAppender(const std::string& path) : path_(path) {
    drop_partial_line(path);
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd_ < 0) throw Error("eval: cannot open the results file " + path + " for appending");
  }
  ~ResultsAppender() {
    if (fd_ >= 0) ::close(fd_);
  }
  ResultsAppender(const ResultsAppender&) = delete;
  ResultsAppender& operator=(const ResultsAppender&) = delete;
  void append(const EvalRecord& r) {
    const std::string line = env::to_json(r.to_dict()) + "\n";
    std::size_t done = 0;
    while (done < line.size()) {
      const auto n = ::write(fd_, line.data() + done, line.size() - done);
      if (n < 0) throw Error("eval: writing " + path_ + " failed");
      done += static_cast<std::size_t>(n);
    }
  }

 private:
  std::string path_;
  int fd_ = -1;
};

using Key = std::tuple<std::string, std::string, std::string, std::uint64_t>;  // policy, task, backend, seed

}  // namespace

std::vector<std::uint64_t> eval_seeds(const std::string& task, std::int64_t count, int version) {
  if (version != 1)
    throw InvalidArgument("eval seed list: expected version 1, got " + std::to_string(version));
  if (count < 0) throw InvalidArgument("eval seed list: expected a count >= 0");
  const std::uint64_t base = fnv1a64("a2w-eval/" + task);
  std::vector<std::uint64_t> seeds;
  for (std::int64_t k = 0; k < count; ++k)
    seeds.push_back(env::episode_seed(base, static_cast<std::uint64_t>(k), 1));
  return seeds;
}

env::Dict EvalRecord::to_dict() const {
  return {{"policy", policy},
          {"task", task},
          {"backend", backend},
          {"seed_index", seed_index},
          {"seed", std::to_string(seed)},  // as text: JSON readers lose integers above 2^53
          {"seed_list_version", static_cast<std::int64_t>(seed_list_version)},
          {"success_once", success_once},
          {"success_at_end", success_at_end},
          {"return", ret},
          {"length", length}};
}

EvalRecord EvalRecord::from_dict(const env::Dict& d) {
  auto field = [&](const char* name) -> const env::Value& {
    auto it = d.find(name);
    if (it == d.end()) throw InvalidArgument(std::string("eval record: missing field '") + name + "'");
    return it->second;
  };
  EvalRecord r;
  try {
    r.policy = field("policy").as_string();
    r.task = field("task").as_string();
    r.backend = field("backend").as_string();
    r.seed_index = field("seed_index").as_int();
    const std::string seed = field("seed").as_string();
    char* end = nullptr;
    r.seed = std::strtoull(seed.c_str(), &end, 10);
    if (seed.empty() || *end != '\0')
      throw InvalidArgument("eval record: seed '" + seed + "' is not a number");
    r.seed_list_version = static_cast<int>(field("seed_list_version").as_int());
    r.success_once = field("success_once").as_bool();
    r.success_at_end = field("success_at_end").as_bool();
    r.ret = field("return").as_double();
    r.length = field("length").as_int();
  } catch (const InvalidArgument&) {
    throw;
  } catch (const std::exception& e) {
    throw InvalidArgument(std::string("eval record: a field has the wrong type: ") + e.what());
  }
  return r;
}

std::vector<EvalRecord> read_eval_results(const std::string& path) {
  std::vector<EvalRecord> out;
  std::ifstream in(path, std::ios::binary);
  if (!in) return out;
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::size_t pos = 0;
  for (int line_no = 1; pos < text.size(); ++line_no) {
    const auto nl = text.find('\n', pos);
    if (nl == std::string::npos) break;  // a partial last line: a writer killed mid-record
    const std::string line = text.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.empty()) continue;
    try {
      const auto v = env::parse_json(line);
      if (!v.is_dict()) throw InvalidArgument("expected a JSON object");
      out.push_back(EvalRecord::from_dict(v.as_dict()));
    } catch (const std::exception& e) {
      throw InvalidArgument(path + ":" + std::to_string(line_no) + ": not an eval record: " + e.what());
    }
  }
  return out;
}

EvalReport run_evaluation(const EvalJob& job) {
  if (job.results.empty()) throw InvalidArgument("eval: expected a results file (--out)");
  if (job.policies.empty() || job.tasks.empty())
    throw InvalidArgument("eval: expected at least one policy and one task");
  if (job.episodes < 1)
    throw InvalidArgument("eval: expected episodes >= 1, got " + std::to_string(job.episodes));
  if (job.world_size < 1 || job.rank < 0 || job.rank >= job.world_size)
    throw InvalidArgument("eval: expected 0 <= rank < world_size, got rank " + std::to_string(job.rank) +
                          " of " + std::to_string(job.world_size));
  bool wm = false;
  for (const auto& b : job.backends) {
    if (b != "physics" && b != "wm")
      throw InvalidArgument("eval: unknown backend '" + b + "'; expected physics or wm");
    wm |= b == "wm";
  }
  for (const auto& p : job.policies)
    if (wm && split_noise(p).first == "expert")
      throw InvalidArgument(
          "eval: policy '" + p +
          "' reads the physics simulator's privileged state, which A2World-sim does not have; "
          "evaluate it with --backends physics");

  int image_size = job.image_size;
  if (image_size == 0 && wm) image_size = wm::load_sim_model(job.checkpoint, job.device)->config().image_size;

  // What is done already, and what this rank runs.
  std::set<Key> done;
  for (const auto& r : read_eval_results(job.results)) done.insert({r.policy, r.task, r.backend, r.seed});
  struct Work {
    std::string policy, task, backend;
    std::vector<std::int64_t> index;
    std::vector<std::uint64_t> seeds;
  };
  std::vector<Work> work;
  EvalReport report;
  std::int64_t item = 0, to_run = 0;
  for (const auto& policy : job.policies)
    for (const auto& task : job.tasks) {
      const auto seeds = eval_seeds(task, job.episodes);
      for (const auto& backend : job.backends) {
        Work w{policy, task, backend, {}, {}};
        for (std::int64_t k = 0; k < job.episodes; ++k, ++item) {
          if (item % job.world_size != job.rank) continue;
          if (done.count({policy, task, backend, seeds[static_cast<std::size_t>(k)]})) {
            ++report.episodes_skipped;
            continue;
          }
          w.index.push_back(k);
          w.seeds.push_back(seeds[static_cast<std::size_t>(k)]);
        }
        to_run += static_cast<std::int64_t>(w.seeds.size());
        if (!w.seeds.empty()) work.push_back(std::move(w));
      }
    }

  ResultsAppender out(job.results);
  env::Progress progress("eval", to_run, job.progress ? stderr : nullptr);
  const auto t0 = std::chrono::steady_clock::now();
  for (const auto& w : work) {
    const auto [name, noise] = split_noise(w.policy);
    RolloutJob r;
    r.task = w.task;
    r.sim = w.backend;
    r.checkpoint = job.checkpoint;
    r.device = job.device;
    r.policy = name;
    r.noise = noise;
    r.episodes = static_cast<std::int64_t>(w.seeds.size());
    r.seeds = w.seeds;
    r.seed = fnv1a64(w.policy);  // the policy's own randomness (random actions, noise), fixed per policy
    r.num_envs = job.num_envs > 0 ? job.num_envs : static_cast<int>(std::min<std::int64_t>(r.episodes, 16));
    r.num_threads = job.num_threads;
    r.env_options = job.env_options;
    if (image_size > 0) r.env_options["image_size"] = static_cast<std::int64_t>(image_size);
    r.progress = false;
    std::int64_t successes = 0, n = 0;
    r.on_episode = [&](const env::EpisodeMetrics& m) {
      EvalRecord rec;
      rec.policy = w.policy;
      rec.task = w.task;
      rec.backend = w.backend;
      rec.seed_index = w.index[static_cast<std::size_t>(m.episode)];
      rec.seed = m.seed;
      rec.success_once = m.success_once;
      rec.success_at_end = m.success_at_end;
      rec.ret = m.ret;
      rec.length = m.length;
      out.append(rec);
      successes += m.success_once;
      ++n;
      ++report.episodes_run;
      progress.advance();
    };
    const auto tg = std::chrono::steady_clock::now();
    run_rollout(r);
    EvalReport::Group g{w.policy,
                        w.task,
                        w.backend,
                        n,
                        n ? static_cast<double>(successes) / n : 0.0,
                        std::chrono::duration<double>(std::chrono::steady_clock::now() - tg).count()};
    report.groups.push_back(g);
  }
  progress.finish();
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return report;
}

env::Dict EvalReport::to_dict() const {
  env::List gs;
  for (const auto& g : groups)
    gs.push_back(env::Dict{{"policy", g.policy},
                           {"task", g.task},
                           {"backend", g.backend},
                           {"episodes", g.episodes},
                           {"success_rate", g.success_rate},
                           {"seconds", g.seconds}});
  return {{"episodes_run", episodes_run},
          {"episodes_skipped", episodes_skipped},
          {"seconds", seconds},
          {"groups", gs}};
}

std::string EvalReport::to_text() const {
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(2);
  s << "eval: " << episodes_run << " episodes run, " << episodes_skipped << " already in the results file, "
    << seconds << " s\n";
  for (const auto& g : groups)
    s << "  " << g.policy << "  " << g.task << "  " << g.backend << ": success " << g.success_rate << " over "
      << g.episodes << " episodes (" << g.seconds << " s)\n";
  return s.str();
}

}  // namespace a2w::bench
