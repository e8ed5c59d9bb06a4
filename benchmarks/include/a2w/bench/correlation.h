#pragma once
// `a2w correlate`: how well success imagined in A2World-sim tracks success in physics, from paired evaluation
// records (evaluation.h). Metric definitions in metrics.h and DESIGN.md ("Evaluation and correlation").
//
// Pairing: a (policy, task, seed) episode counts only when both backends have a record of it; success is
// success_once. Each (policy, task) is one point: its physics and imagined success rates over the paired
// episodes, with Wilson intervals. Across the points of one task, and pooled over every task: Pearson,
// Spearman, Kendall tau-b, mean signed gap (imagined - physics) and MMRV(sim = imagined, real = physics),
// with seeded bootstrap intervals for Pearson and MMRV (episodes resampled within each point); over the
// episodes, the paired confusion matrix, agreement and Cohen's kappa. A statistic that is undefined for the
// data (fewer than 2 points, all rates equal) is NaN, and `notes` says why.

#include <cstdint>
#include <string>
#include <vector>

#include "a2w/bench/evaluation.h"
#include "a2w/bench/metrics.h"
#include "a2w/env/value.h"

namespace a2w::bench {

struct PolicyScore {
  std::string policy, task;
  std::int64_t paired = 0;           // episodes with a record in both backends
  double physics = 0, imagined = 0;  // success_once rates over them
  Interval physics_ci, imagined_ci;  // Wilson, 95 %
  PairedConfusion confusion;
};

struct CorrelationStats {
  std::string scope;  // a task id, or "pooled"
  std::int64_t points = 0, episodes = 0;
  double pearson = 0, spearman = 0, kendall_tau_b = 0, mean_gap = 0, mmrv = 0;
  BootstrapInterval pearson_ci, mmrv_ci;
  PairedConfusion confusion;
  double agreement = 0, kappa = 0;
  std::vector<std::string> notes;
};

struct CorrelateOptions {
  int resamples = 1000;
  double confidence = 0.95;
  std::uint64_t seed = 0;
};

struct CorrelationReport {
  std::vector<PolicyScore> points;       // sorted by task, then policy
  std::vector<CorrelationStats> scopes;  // each task, then "pooled"
  std::int64_t unpaired = 0;             // records without their twin in the other backend
  CorrelateOptions options;

  env::Dict to_dict() const;
  std::string to_csv() const;  // one row per (policy, task)
  std::string to_text() const;
};

// Throws InvalidArgument when no episode is paired.
CorrelationReport correlate(const std::vector<EvalRecord>& records, const CorrelateOptions& options = {});

// One self-contained HTML page (inline SVG and CSS, no script, nothing fetched): the scatter plot of imagined
// against physics success with the identity line and Wilson intervals (one point per (policy, task)),
// per-policy bars, and the metric table.
std::string correlation_html(const CorrelationReport& report, const std::string& title = "a2w correlate");

}  // namespace a2w::bench
