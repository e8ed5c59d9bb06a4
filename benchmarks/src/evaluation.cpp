#include "a2w/bench/evaluation.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>
#include <tuple>

#include "a2w/bench/rollout_job.h"
#include "a2w/env/error.h"
#include "a2w/env/json.h"
#include "a2w/env/progress.h"
#include "a2w/env/rng.h"
#include "a2w/wm/policy_zoo.h"
#include "a2w/wm/register_sim.h"
#include "a2w/wm/rendezvous.h"
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
  void append(const EvalRecord& r) { append_line(env::to_json(r.to_dict()) + "\n"); }
  void append_line(const std::string& line) {
    std::lock_guard<std::mutex> lock(mutex_);
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
  std::mutex mutex_;  // rank 0's own records and the gathered ones
};

using wm::Launch;
using wm::Rendezvous;

using Key = std::tuple<std::string, std::string, std::string, std::uint64_t>;  // policy, task, backend, seed

// The store's keys for one evaluation.
std::string key_done() {
  return "a2w-eval/done";
}
std::string key_count(int r) {
  return "a2w-eval/n/" + std::to_string(r);
}
std::string key_record(int r, std::int64_t i) {
  return "a2w-eval/rec/" + std::to_string(r) + "/" + std::to_string(i);
}
std::string key_beat(int r) {
  return "a2w-eval/beat/" + std::to_string(r);
}
std::string key_finished(int r) {
  return "a2w-eval/fin/" + std::to_string(r);
}

std::string encode_done(const std::set<Key>& done) {
  env::List l;
  for (const auto& [p, t, b, s] : done) l.emplace_back(env::List{p, t, b, std::to_string(s)});
  return env::to_json(env::Value(l));
}

// Rank 0's list of finished episodes: [[policy, task, backend, seed as text], ...]. Anything else is a
// clear a2w::Error (never a bare std::invalid_argument from a number parser).
std::set<Key> decode_done(const std::string& text) {
  const std::string bad =
      "eval: rank 0 sent a malformed list of finished episodes: expected a JSON list of "
      "[policy, task, backend, seed] texts, ";
  env::Value v;
  try {
    v = env::parse_json(text);
  } catch (const std::exception& e) {
    throw Error(bad + "got unreadable JSON (" + e.what() + ")");
  }
  if (!v.is_list()) throw Error(bad + "got no list");
  std::set<Key> done;
  for (const auto& item : v.as_list()) {
    const bool four_texts = item.is_list() && item.as_list().size() == 4 &&
                            std::all_of(item.as_list().begin(), item.as_list().end(),
                                        [](const env::Value& f) { return f.is_string(); });
    if (!four_texts) throw Error(bad + "got an entry that is not four texts");
    const auto& f = item.as_list();
    const std::string& seed = f[3].as_string();
    char* end = nullptr;
    errno = 0;
    const unsigned long long n = std::strtoull(seed.c_str(), &end, 10);
    if (seed.empty() || *end != '\0' || errno == ERANGE || seed[0] == '-')
      throw Error(bad + "got seed '" + seed + "'");
    done.insert({f[0].as_string(), f[1].as_string(), f[2].as_string(), static_cast<std::uint64_t>(n)});
  }
  return done;
}

// Runs `tick` every `period` on its own thread until destroyed. The first exception stops it, and check()
// then throws a2w::Error with describe(that exception): a failure seen in the background reaches the main
// thread at its next check.
class Repeating {
 public:
  Repeating(std::chrono::milliseconds period, std::function<void()> tick,
            std::function<std::string(const std::exception&)> describe)
      : period_(period), tick_(std::move(tick)), describe_(std::move(describe)), thread_([this] { run(); }) {}
  ~Repeating() {
    stop_ = true;
    thread_.join();
  }
  void check() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!error_.empty()) throw Error(error_);
  }

 private:
  void run() {
    constexpr auto kSlice = std::chrono::milliseconds(100);  // so that the destructor need not wait a period
    while (!stop_) {
      try {
        tick_();
      } catch (const std::exception& e) {
        std::lock_guard<std::mutex> lock(mutex_);
        error_ = describe_(e);
        return;
      }
      for (std::chrono::milliseconds slept{0}; slept < period_ && !stop_; slept += kSlice)
        std::this_thread::sleep_for(kSlice);
    }
  }
  std::chrono::milliseconds period_;
  std::function<void()> tick_;
  std::function<std::string(const std::exception&)> describe_;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::string error_;
  std::thread thread_;  // last: it starts once everything it reads is built
};

// Rank 0: takes the other ranks' records off the store into the results file, and watches their heartbeats.
class Gatherer {
 public:
  Gatherer(Rendezvous& store, ResultsAppender& out, double timeout, const std::string& results)
      : store_(store),
        out_(out),
        timeout_(timeout),
        got_(world(), 0),
        beat_(world(), -1),
        finished_(world(), -1),
        seen_(world(), std::chrono::steady_clock::now()),
        loop_(
            std::chrono::milliseconds(200), [this] { tick(); },
            [this, results](const std::exception& e) {
              return std::string("eval: ") + e.what() + "; the " + std::to_string(gathered_) +
                     " records gathered from other ranks and this rank's own are in " + results +
                     "; rerun the same command to finish the rest";
            }) {}
  // Throws the failure, if any.
  void check() { loop_.check(); }
  bool all_done() const { return all_done_; }
  std::int64_t gathered() const { return gathered_; }

 private:
  std::size_t world() const { return static_cast<std::size_t>(store_.launch().world_size); }

  // One pass over the other ranks: their new records, whether they finished, whether they still beat.
  void tick() {
    const int w = store_.launch().world_size;
    bool done = true;
    for (int r = 1; r < w; ++r) {
      const auto k = static_cast<std::size_t>(r);
      for (const auto n = store_.add(key_count(r), 0); got_[k] < n; ++got_[k]) {
        const std::string line = store_.get(key_record(r, got_[k]));
        const auto v = env::parse_json(line);
        if (!v.is_dict()) throw Error("rank " + std::to_string(r) + " sent a record that is not an object");
        EvalRecord::from_dict(v.as_dict());  // checked before it is written
        out_.append_line(line + "\n");
        ++gathered_;
      }
      if (finished_[k] < 0 && store_.has(key_finished(r)))
        finished_[k] = std::stoll(store_.get(key_finished(r)));
      const auto now = std::chrono::steady_clock::now();
      if (const auto b = store_.add(key_beat(r), 0); b != beat_[k]) {
        beat_[k] = b;
        seen_[k] = now;
      }
      if (finished_[k] < 0 && std::chrono::duration<double>(now - seen_[k]).count() > timeout_)
        throw Error("rank " + std::to_string(r) + " of " + std::to_string(w) + " stopped (no heartbeat for " +
                    std::to_string(static_cast<int>(timeout_)) + " s) before finishing its share");
      done = done && finished_[k] >= 0 && got_[k] >= finished_[k];
    }
    all_done_ = done;
  }

  Rendezvous& store_;
  ResultsAppender& out_;
  double timeout_;
  // Per rank (index 0 unused): records taken, last heartbeat count and when it changed, records sent in all.
  std::vector<std::int64_t> got_, beat_, finished_;
  std::vector<std::chrono::steady_clock::time_point> seen_;
  std::atomic<bool> all_done_{false};
  std::atomic<std::int64_t> gathered_{0};
  Repeating loop_;  // last: its thread reads everything above
};

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

EvalReport run_evaluation(const EvalJob& given) {
  // A zoo manifest stands for its policies (wm/policy_zoo.h).
  EvalJob job = given;
  job.policies = wm::expand_zoo_manifests(given.policies);
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

  // On a store, rank 0 alone reads and writes the results file; the others learn from it what is done.
  std::unique_ptr<Rendezvous> store;
  if (job.world_size > 1 && !job.master_addr.empty())
    store = std::make_unique<Rendezvous>(
        Launch{job.rank, job.world_size, job.master_addr, job.master_port},
        std::chrono::milliseconds(static_cast<std::int64_t>(job.join_timeout * 1000)));
  const bool writes_file = !store || job.rank == 0;

  // What is done already, and what this rank runs.
  std::set<Key> done;
  if (writes_file)
    for (const auto& r : read_eval_results(job.results)) done.insert({r.policy, r.task, r.backend, r.seed});
  if (store && job.rank == 0) store->set(key_done(), encode_done(done));
  if (store && job.rank != 0) done = decode_done(store->get(key_done()));
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

  std::unique_ptr<ResultsAppender> out;
  if (writes_file) out = std::make_unique<ResultsAppender>(job.results);
  std::unique_ptr<Gatherer> gatherer;
  std::unique_ptr<Repeating> heartbeat;  // a rank other than 0: sent from a thread, so that a long episode
                                         // batch does not look like a dead rank
  if (store && job.rank == 0)
    gatherer = std::make_unique<Gatherer>(*store, *out, job.heartbeat_timeout, job.results);
  if (store && job.rank != 0)
    heartbeat = std::make_unique<Repeating>(
        std::chrono::milliseconds(500), [&store, r = job.rank] { store->add(key_beat(r), 1); },
        [](const std::exception& e) {
          return std::string("eval: lost rank 0, which gathers the records: ") + e.what();
        });
  std::int64_t sent = 0;
  auto emit = [&](const EvalRecord& rec) {
    if (gatherer) gatherer->check();
    if (heartbeat) heartbeat->check();
    if (out) {
      out->append(rec);
    } else {
      store->set(key_record(job.rank, sent), env::to_json(rec.to_dict()));
      store->add(key_count(job.rank), 1);
      ++sent;
    }
  };
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
      emit(rec);
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
  if (heartbeat) {
    heartbeat->check();
    store->set(key_finished(job.rank), std::to_string(sent));
  }
  if (gatherer) {
    // This rank's share is done; wait for the others' (or for one of them to be lost).
    while (!gatherer->all_done()) {
      gatherer->check();
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    gatherer->check();
    report.episodes_gathered = gatherer->gathered();
  }
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
          {"episodes_gathered", episodes_gathered},
          {"seconds", seconds},
          {"groups", gs}};
}

std::string EvalReport::to_text() const {
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(2);
  s << "eval: " << episodes_run << " episodes run, " << episodes_skipped << " already in the results file, "
    << seconds << " s";
  if (episodes_gathered > 0) s << "; " << episodes_gathered << " records gathered from the other ranks";
  s << "\n";
  for (const auto& g : groups)
    s << "  " << g.policy << "  " << g.task << "  " << g.backend << ": success " << g.success_rate << " over "
      << g.episodes << " episodes (" << g.seconds << " s)\n";
  return s.str();
}

}  // namespace a2w::bench
