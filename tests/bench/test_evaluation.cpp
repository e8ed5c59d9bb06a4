// Paired evaluation records (a2w eval) and their correlation report (a2w correlate): the fixed seed list,
// resuming after a kill, sharding that gives the same records as one process, and the report's numbers.

#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "a2w/bench/correlation.h"
#include "a2w/bench/evaluation.h"
#include "a2w/env/error.h"

using namespace a2w::bench;

namespace {

struct TempFile {
  std::filesystem::path path;
  explicit TempFile(const std::string& name)
      : path(std::filesystem::temp_directory_path() /
             ("a2w_eval_" + std::to_string(::getpid()) + "_" + name)) {
    std::filesystem::remove(path);
  }
  ~TempFile() { std::filesystem::remove(path); }
  std::string str() const { return path.string(); }
};

EvalJob small_job(const std::string& results) {
  EvalJob j;
  j.policies = {"random", "expert@0.1"};
  j.tasks = {"a2w/Reach-v0"};
  j.backends = {"physics"};
  j.episodes = 4;
  j.env_options = {{"render", false}, {"horizon", std::int64_t{12}}};
  j.results = results;
  j.num_envs = 2;
  j.num_threads = 1;
  j.progress = false;
  return j;
}

// Records as comparable tuples, order-free.
std::set<std::string> keyed(const std::vector<EvalRecord>& records) {
  std::set<std::string> out;
  for (const auto& r : records)
    out.insert(r.policy + "|" + r.task + "|" + r.backend + "|" + std::to_string(r.seed_index) + "|" +
               std::to_string(r.seed) + "|" + std::to_string(r.success_once) + "|" +
               std::to_string(r.length));
  return out;
}

EvalRecord rec(const std::string& policy, const std::string& task, const std::string& backend,
               std::uint64_t seed, bool success) {
  EvalRecord r;
  r.policy = policy;
  r.task = task;
  r.backend = backend;
  r.seed = seed;
  r.success_once = success;
  return r;
}

}  // namespace

TEST_CASE("eval_seeds: fixed per task and version, different across tasks") {
  const auto a = eval_seeds("a2w/LiftCube-v0", 5), b = eval_seeds("a2w/LiftCube-v0", 3);
  CHECK(a.size() == 5);
  CHECK(std::equal(b.begin(), b.end(), a.begin()));  // a prefix: more episodes extend the list
  CHECK(eval_seeds("a2w/PushCube-v0", 1)[0] != a[0]);
  CHECK(std::set<std::uint64_t>(a.begin(), a.end()).size() == 5);
  CHECK_THROWS_WITH_AS(eval_seeds("a2w/LiftCube-v0", 1, 2), doctest::Contains("expected version 1"),
                       a2w::InvalidArgument);
}

TEST_CASE("run_evaluation: records every episode, a rerun skips them, a killed run resumes") {
  TempFile file("resume.jsonl");
  const auto job = small_job(file.str());
  const auto first = run_evaluation(job);
  CHECK(first.episodes_run == 8);
  const auto records = read_eval_results(file.str());
  REQUIRE(records.size() == 8);
  const auto seeds = eval_seeds("a2w/Reach-v0", 4);
  for (const auto& r : records) {
    CHECK(r.seed == seeds[static_cast<std::size_t>(r.seed_index)]);
    CHECK(r.backend == "physics");
    CHECK(r.length >= 1);
    CHECK(r.length <= 12);
  }
  // The noisy expert reaches the target on some seeds, random actions on none.
  std::int64_t expert = 0, random = 0;
  for (const auto& r : records) (r.policy == "random" ? random : expert) += r.success_once;
  CHECK(expert > 0);
  CHECK(random == 0);

  const auto again = run_evaluation(job);
  CHECK(again.episodes_run == 0);
  CHECK(again.episodes_skipped == 8);

  // A writer killed mid-record: the last two records gone, half of one left as a partial line.
  std::ifstream in(file.str());
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  in.close();
  {
    std::ofstream out(file.str(), std::ios::trunc);
    for (std::size_t i = 0; i + 2 < lines.size(); ++i) out << lines[i] << "\n";
    out << lines[lines.size() - 2].substr(0, 20);
  }
  CHECK(read_eval_results(file.str()).size() == 6);
  const auto resumed = run_evaluation(job);
  CHECK(resumed.episodes_run == 2);
  CHECK(keyed(read_eval_results(file.str())) == keyed(records));  // the same outcomes, nothing lost

  {
    std::ofstream out(file.str(), std::ios::app);
    out << "{\"policy\": 3}\n";
  }
  CHECK_THROWS_WITH_AS(read_eval_results(file.str()), doctest::Contains(":9: not an eval record"),
                       a2w::InvalidArgument);
}

TEST_CASE("run_evaluation: shards over 2 ranks give the records of one process") {
  TempFile one("one.jsonl"), shared("shards.jsonl");
  run_evaluation(small_job(one.str()));
  for (int rank = 0; rank < 2; ++rank) {
    auto j = small_job(shared.str());
    j.rank = rank;
    j.world_size = 2;
    const auto r = run_evaluation(j);
    CHECK(r.episodes_run == 4);
  }
  CHECK(keyed(read_eval_results(shared.str())) == keyed(read_eval_results(one.str())));
}

TEST_CASE("run_evaluation: bad jobs are refused before anything runs") {
  TempFile file("bad.jsonl");
  auto j = small_job(file.str());
  j.backends = {"physics", "wm"};
  CHECK_THROWS_WITH_AS(run_evaluation(j), doctest::Contains("privileged state"), a2w::InvalidArgument);
  j = small_job(file.str());
  j.backends = {"mujoco"};
  CHECK_THROWS_WITH_AS(run_evaluation(j), doctest::Contains("expected physics or wm"), a2w::InvalidArgument);
  j = small_job(file.str());
  j.rank = 2;
  j.world_size = 2;
  CHECK_THROWS_AS(run_evaluation(j), a2w::InvalidArgument);
  CHECK_FALSE(std::filesystem::exists(file.path));
}

TEST_CASE("correlate: points, pooled metrics, unpaired records, CSV and HTML") {
  std::vector<EvalRecord> rs;
  // Three policies on one task, 4 seeds each: physics rates 0, 0.5, 1; imagined 0.25, 0.5, 0.75.
  const bool phys[3][4] = {{0, 0, 0, 0}, {1, 1, 0, 0}, {1, 1, 1, 1}};
  const bool imag[3][4] = {{1, 0, 0, 0}, {1, 0, 1, 0}, {1, 1, 1, 0}};
  const char* names[3] = {"weak", "mid", "strong"};
  for (int p = 0; p < 3; ++p)
    for (int s = 0; s < 4; ++s) {
      rs.push_back(rec(names[p], "a2w/T-v0", "physics", static_cast<std::uint64_t>(s), phys[p][s]));
      rs.push_back(rec(names[p], "a2w/T-v0", "wm", static_cast<std::uint64_t>(s), imag[p][s]));
    }
  rs.push_back(rec("mid", "a2w/T-v0", "physics", 99, true));  // no wm twin
  CorrelateOptions o;
  o.resamples = 200;
  const auto r = correlate(rs, o);
  CHECK(r.unpaired == 1);
  REQUIRE(r.points.size() == 3);
  REQUIRE(r.scopes.size() == 2);  // the task, then pooled
  CHECK(r.scopes[1].scope == "pooled");
  const auto& c = r.scopes[0];
  CHECK(c.points == 3);
  CHECK(c.episodes == 12);
  CHECK(c.pearson == doctest::Approx(1.0));  // imagined = 0.25 + 0.5 * physics
  CHECK(c.spearman == doctest::Approx(1.0));
  CHECK(c.mmrv == doctest::Approx(0.0));
  CHECK(c.mean_gap == doctest::Approx(0.0));
  // By hand: weak = 1 imagined only + 3 neither; mid = 1 of each; strong = 3 both + 1 physics only.
  CHECK(c.confusion.both == 4);
  CHECK(c.confusion.physics_only == 2);
  CHECK(c.confusion.imagined_only == 2);
  CHECK(c.confusion.neither == 4);
  CHECK(c.agreement == doctest::Approx(8.0 / 12.0));
  CHECK(c.pearson_ci.low <= c.pearson_ci.high);
  const auto again = correlate(rs, o);
  CHECK(again.scopes[0].pearson_ci.low == c.pearson_ci.low);  // seeded bootstrap

  const auto csv = r.to_csv();
  CHECK(std::count(csv.begin(), csv.end(), '\n') == 4);
  const auto html = correlation_html(r);
  CHECK(html.find("class=\"identity\"") != std::string::npos);
  auto count = [&](const std::string& what) {
    std::size_t n = 0;
    for (auto pos = html.find(what); pos != std::string::npos; pos = html.find(what, pos + 1)) ++n;
    return n;
  };
  CHECK(count("<circle") == 3);                                 // one point per (policy, task)
  CHECK(count("http") == count("http://www.w3.org/2000/svg"));  // nothing fetched: only SVG's namespace
  CHECK_THROWS_WITH_AS(correlate({rs.back()}), doctest::Contains("no episode has records in both"),
                       a2w::InvalidArgument);
}
