#pragma once
// What-if sweeps (`a2w whatif`): when a task changes (the object moved, another colour, dimmer light, a shaky
// camera, a distractor, noisy actions), does A2World-sim predict how success changes in physics?
//
//   WhatIfJob job;
//   job.task = "a2w/PushCube-v0";
//   job.policies = {"/models/bc.a2wp", "/models/bc.a2wp@0.3"};
//   job.out_dir = "whatif/";
//   WhatIfReport r = run_whatif(job);   // per variant: the change in success in physics and imagined
//
// The variants are the task file's `perturbations` (tasks/task_file.h), declared as data, not in code. Each
// variant, and the task as written ("baseline"), runs as a paired evaluation (evaluation.h): the same
// policies on the same seeds in both backends, the variant made with the env option {"perturbation": name}
// (A2World-sim takes its first frames, and its action noise, from that variant). The records of a variant go
// to <out_dir>/<name>.jsonl, so a rerun skips what is done and each file is an ordinary results file for
// `a2w correlate`.
//
// Per variant the report gives the success rate (success_once, pooled over the policies) in each backend,
// its change from the baseline with a 95 % interval (metrics.h difference_interval), and whether the two
// changes have the same sign; across variants, the share of variants whose signs agree and the rank
// correlation (Spearman, Kendall tau-b) of the two changes: does the model rank the perturbations by harm as
// physics does? The same per policy.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "a2w/bench/metrics.h"
#include "a2w/env/value.h"

namespace a2w::bench {

struct WhatIfJob {
  std::string task;                        // physics id, e.g. a2w/PushCube-v0
  std::vector<std::string> perturbations;  // names among the task's; empty: every one it declares
  std::vector<std::string> policies;       // as EvalJob::policies (not "expert": it cannot run imagined)
  std::int64_t episodes = 50;              // seeds 0 .. episodes-1 of the task's seed list, in every variant
  std::string checkpoint;                  // the world model; empty: the shipped default
  std::string device = "cpu";
  int num_envs = 0, num_threads = 0;  // as EvalJob
  env::Dict env_options;              // more options for every env, e.g. {"horizon": 60} (as EvalJob)
  std::string out_dir;                // one results file per variant (created if missing)
  bool progress = true;
};

struct WhatIfReport {
  // A success rate in one backend: successes out of n episodes.
  struct Rate {
    std::int64_t successes = 0, n = 0;
    double rate() const { return n ? static_cast<double>(successes) / static_cast<double>(n) : 0.0; }
  };
  // One variant (or one policy in it) against the baseline.
  struct Change {
    Rate physics, wm;                          // in the variant
    double physics_change = 0, wm_change = 0;  // variant minus baseline
    Interval physics_interval, wm_interval;    // 95 % intervals of the changes
    bool sign_agrees = false;                  // sign(physics_change) == sign(wm_change) (0 is a sign)
  };
  struct Variant {
    std::string name, description;
    Change pooled;
    std::vector<std::pair<std::string, Change>> per_policy;  // in the job's policy order
  };
  std::string task;
  Rate baseline_physics, baseline_wm;
  std::vector<std::pair<std::string, std::pair<Rate, Rate>>> baseline_per_policy;  // policy: physics, wm
  std::vector<Variant> variants;
  // Across variants (pooled changes): the share whose signs agree, and rank correlations of the changes
  // (unset when undefined: fewer than 2 variants, or all changes equal in a backend).
  double sign_agreement = 0;
  std::optional<double> spearman, kendall;
  double seconds = 0;

  env::Dict to_dict() const;
  std::string to_text() const;
};

// Runs (or resumes) every variant's evaluation and compares. Throws InvalidArgument for an unknown task or
// perturbation name (listing the declared ones), a task that declares none or one named "baseline", no
// policies, the expert (physics only), or no out_dir.
WhatIfReport run_whatif(const WhatIfJob& job);

// The comparison alone, from results files already written by run_whatif (none is run).
WhatIfReport compare_whatif(const WhatIfJob& job);

}  // namespace a2w::bench
