// What-if sweeps (a2w whatif): the comparison's numbers from hand-written results files, the job's checks,
// and a tiny real sweep that writes one results file per variant and resumes.

#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "a2w/bench/evaluation.h"
#include "a2w/bench/whatif.h"
#include "a2w/env/error.h"
#include "a2w/env/json.h"
#include "a2w/tasks/tasks.h"
#include "a2w/wm/register_sim.h"

using namespace a2w::bench;

namespace {

struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const std::string& name)
      : path(std::filesystem::temp_directory_path() /
             ("a2w_whatif_" + std::to_string(::getpid()) + "_" + name)) {
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

constexpr const char* kTask = "a2w/PushCube-v0";

// Writes `successes` successes out of `n` records (seeds 0..n-1) for one policy and backend.
void write(std::ofstream& out, const std::string& policy, const std::string& backend, int successes, int n,
           const std::string& task = kTask) {
  for (int k = 0; k < n; ++k) {
    EvalRecord r;
    r.policy = policy;
    r.task = task;
    r.backend = backend;
    r.seed_index = k;
    r.seed = static_cast<std::uint64_t>(1000 + k);
    r.success_once = k < successes;
    out << a2w::env::to_json(r.to_dict()) << "\n";
  }
}

WhatIfJob job_in(const TempDir& d) {
  a2w::tasks::register_tasks();
  WhatIfJob j;
  j.task = kTask;
  j.policies = {"p", "q"};
  j.perturbations = {"dim_light", "distractor"};
  j.episodes = 4;
  j.out_dir = d.path.string();
  j.progress = false;
  return j;
}

}  // namespace

TEST_CASE("whatif: changes, signs and rank correlation from the results files") {
  TempDir d("compare");
  {
    std::ofstream b(d.path / "baseline.jsonl");
    write(b, "p", "physics", 3, 4);
    write(b, "q", "physics", 1, 4);
    write(b, "p", "wm", 2, 4);
    write(b, "q", "wm", 2, 4);
    write(b, "p", "physics", 0, 4, "a2w/LiftCube-v0");  // another task: not counted
    EvalRecord late;                                    // seed index 4 >= episodes: not counted
    late.policy = "q";
    late.task = kTask;
    late.backend = "physics";
    late.seed_index = 4;
    late.success_once = true;
    b << a2w::env::to_json(late.to_dict()) << "\n";
    std::ofstream dim(d.path / "dim_light.jsonl");
    write(dim, "p", "physics", 1, 4);
    write(dim, "q", "physics", 1, 4);
    write(dim, "p", "wm", 1, 4);
    write(dim, "q", "wm", 0, 4);
    std::ofstream dis(d.path / "distractor.jsonl");
    write(dis, "p", "physics", 3, 4);
    write(dis, "q", "physics", 2, 4);
    write(dis, "p", "wm", 2, 4);
    write(dis, "q", "wm", 1, 4);
  }
  const WhatIfReport r = compare_whatif(job_in(d));
  CHECK(r.baseline_physics.successes == 4);
  CHECK(r.baseline_physics.n == 8);
  CHECK(r.baseline_wm.rate() == 0.5);
  REQUIRE(r.variants.size() == 2);
  const auto& dim = r.variants[0];
  CHECK(dim.name == "dim_light");
  CHECK(dim.description == "the lights at 45 %");
  CHECK(dim.pooled.physics_change == doctest::Approx(-0.25));
  CHECK(dim.pooled.wm_change == doctest::Approx(-0.375));
  CHECK(dim.pooled.sign_agrees);
  const Interval want = difference_interval(2, 8, 4, 8);
  CHECK(dim.pooled.physics_interval.low == doctest::Approx(want.low));
  CHECK(dim.pooled.physics_interval.high == doctest::Approx(want.high));
  REQUIRE(dim.per_policy.size() == 2);
  CHECK(dim.per_policy[0].first == "p");
  CHECK(dim.per_policy[0].second.physics_change == doctest::Approx(-0.5));
  CHECK(dim.per_policy[0].second.wm_change == doctest::Approx(-0.25));
  CHECK(dim.per_policy[1].second.physics_change == doctest::Approx(0.0));
  CHECK_FALSE(dim.per_policy[1].second.sign_agrees);  // 0 against -0.5
  const auto& dis = r.variants[1];
  CHECK(dis.pooled.physics_change == doctest::Approx(0.125));
  CHECK(dis.pooled.wm_change == doctest::Approx(-0.125));
  CHECK_FALSE(dis.pooled.sign_agrees);
  CHECK(r.sign_agreement == 0.5);
  // Two variants in the same order in both backends.
  REQUIRE(r.spearman.has_value());
  CHECK(*r.spearman == doctest::Approx(1.0));
  CHECK(*r.kendall == doctest::Approx(1.0));
  const std::string text = r.to_text();
  CHECK(text.find("signs agree on 1 of 2 variants") != std::string::npos);
  CHECK(r.to_dict().at("variants").as_list().size() == 2);
}

TEST_CASE("whatif: the job is checked before anything runs") {
  TempDir d("checks");
  WhatIfJob j = job_in(d);
  j.perturbations = {"dark"};
  CHECK_THROWS_WITH_AS(compare_whatif(j), doctest::Contains("expected one of: cube_shifted"),
                       a2w::InvalidArgument);
  j = job_in(d);
  j.policies = {"expert"};
  CHECK_THROWS_WITH_AS(run_whatif(j), doctest::Contains("cannot run in A2World-sim"), a2w::InvalidArgument);
  j = job_in(d);
  j.task = "a2w/Reach-v0";  // declares no perturbations
  CHECK_THROWS_WITH_AS(run_whatif(j), doctest::Contains("declares no perturbations"), a2w::InvalidArgument);
  j = job_in(d);
  j.policies.clear();
  CHECK_THROWS_AS(run_whatif(j), a2w::InvalidArgument);
}

TEST_CASE("whatif: a tiny sweep writes one results file per variant, both backends, and resumes") {
  TempDir d("run");
  a2w::tasks::register_tasks();
  a2w::wm::register_sim_envs();
  WhatIfJob j = job_in(d);
  j.policies = {"random"};
  j.perturbations = {"action_noise"};
  j.episodes = 2;
  j.env_options = {{"horizon", std::int64_t{3}}};
  j.num_threads = 1;
  const WhatIfReport r = run_whatif(j);
  for (const char* f : {"baseline.jsonl", "action_noise.jsonl"}) {
    CAPTURE(f);
    const auto recs = read_eval_results((d.path / f).string());
    CHECK(recs.size() == 4);  // 2 seeds x 2 backends
    for (const auto& rec : recs) CHECK(rec.length == 3);
  }
  CHECK(r.baseline_physics.n == 2);
  CHECK(r.baseline_wm.n == 2);
  REQUIRE(r.variants.size() == 1);
  CHECK(r.variants[0].pooled.physics.n == 2);
  // A rerun finds everything done and adds no record.
  run_whatif(j);
  CHECK(read_eval_results((d.path / "baseline.jsonl").string()).size() == 4);
}
