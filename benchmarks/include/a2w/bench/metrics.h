#pragma once
// Correlation metrics between two evaluation backends: how far success rates measured in A2World-sim
// ("imagined", the simulator under test, `sim`) can stand in for those measured in physics or on a robot
// ("physics", the reference, `real`). Definitions follow DESIGN.md ("Evaluation and correlation").
//
// Argument order is fixed for the whole family: the backend under test comes first, the reference second,
// i.e. (sim, real) = (imagined, physics). Symmetric metrics (Pearson, Spearman, Kendall) do not care; MMRV
// and the mean signed gap do.
//
// Errors: input with no defined value (sizes that differ, too few points, a variable with zero variance, a
// value that is NaN or infinite) throws a2w::InvalidArgument whose message names the function, what it
// expected and what came. Where a value is defined by convention the convention is stated on the function.
// Nothing here is random except bootstrap_interval(), which is seeded.

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

namespace a2w::bench {

// A closed interval [low, high].
struct Interval {
  double low = 0.0;
  double high = 0.0;
};

// ---- One success rate ----------------------------------------------------------------------------------

// Wilson score interval for a binomial proportion: `successes` out of `n` trials, `z` the standard-normal
// quantile (1.96 for 95 %). With p = successes / n:
//   centre = (p + z^2 / (2n)) / (1 + z^2 / n),  half = z / (1 + z^2 / n) * sqrt(p (1 - p) / n + z^2 / (4
//   n^2))
// and the interval is [centre - half, centre + half]; 0 / n gives low exactly 0 and n / n high exactly 1.
// n == 0 gives [0, 1] (no information). Throws for n < 0, successes outside [0, n], or z not finite and > 0.
Interval wilson_interval(std::int64_t successes, std::int64_t n, double z = 1.96);

// Interval for the difference of two success rates p1 - p2 (s1 / n1 minus s2 / n2), Newcombe's hybrid score
// method (Newcombe 1998, method 10) from the two Wilson intervals [l1, u1], [l2, u2]:
//   [d - sqrt((p1 - l1)^2 + (u2 - p2)^2),  d + sqrt((u1 - p1)^2 + (p2 - l2)^2)],  d = p1 - p2.
// It treats the two samples as independent; for rates measured on the same seeds (positively correlated)
// it is conservative. Throws as wilson_interval does.
Interval difference_interval(std::int64_t s1, std::int64_t n1, std::int64_t s2, std::int64_t n2,
                             double z = 1.96);

// ---- Across policies: one value per policy in each backend ---------------------------------------------

// Pearson product-moment correlation of x and y, in [-1, 1]. Needs x.size() == y.size() >= 2 and both
// variables with non-zero variance (a constant variable has no defined correlation: throws).
double pearson(std::span<const double> x, std::span<const double> y);

// Midranks of x, 1-based: the smallest value gets rank 1, and tied values all get the mean of the ranks they
// span (x = {0.5, 0.2, 0.5} gives {2.5, 1, 2.5}). Values must be finite.
std::vector<double> midranks(std::span<const double> x);

// Spearman's rho: the Pearson correlation of midranks(x) and midranks(y), so ties get average ranks (this is
// the tie-corrected rho, not the 1 - 6 sum d^2 / (n (n^2 - 1)) shortcut, which is wrong with ties). Same
// requirements as pearson(): all-tied x or y throws.
double spearman(std::span<const double> x, std::span<const double> y);

// Kendall's tau-b, in [-1, 1]: over the n (n - 1) / 2 pairs i < j,
//   tau_b = (concordant - discordant) / sqrt((n0 - tx) (n0 - ty))
// where n0 = n (n - 1) / 2, tx = pairs tied in x, ty = pairs tied in y (a pair tied in both counts in both
// and is neither concordant nor discordant). O(n^2). Needs x.size() == y.size() >= 2 and at least one untied
// pair in each variable (otherwise the denominator is 0: throws).
double kendall_tau_b(std::span<const double> x, std::span<const double> y);

// Mean signed gap, mean_i (imagined_i - physics_i): positive when A2World-sim is optimistic. Needs
// imagined.size() == physics.size() >= 1 (one policy already has a gap).
double mean_signed_gap(std::span<const double> imagined, std::span<const double> physics);

// Mean maximum rank violation, exactly as SimplerEnv defines it (simpler_env/utils/metrics.py), argument
// order (sim, real):
//   MMRV = mean_i max_j [ (sim_i > sim_j) != (real_i > real_j) ] * |real_i - real_j|
// with strict >, j over all policies (j == i contributes 0), and the magnitude the margin in `real`. Lower is
// better; 0 when sim orders every pair as real does. Not symmetric: the magnitude comes from `real`, and a
// tie in sim next to a gap in real is a violation only for the policy that is better in real (sim = {.5, .5},
// real = {.2, .8} gives 0.3; swapped, 0). Needs sim.size() == real.size() >= 2 (a ranking needs two
// policies).
double mmrv(std::span<const double> sim, std::span<const double> real);

// ---- Per episode: the same seed run in both backends ---------------------------------------------------

// One episode's outcome in each backend (success as the caller chose it: success_once or success_at_end).
struct PairedOutcome {
  bool physics = false;
  bool imagined = false;
};

// 2x2 counts of paired episode outcomes, rows physics, columns imagined.
struct PairedConfusion {
  std::int64_t both = 0;           // physics success, imagined success
  std::int64_t physics_only = 0;   // physics success, imagined failure (A2World-sim pessimistic)
  std::int64_t imagined_only = 0;  // physics failure, imagined success (A2World-sim optimistic)
  std::int64_t neither = 0;        // physics failure, imagined failure

  void add(PairedOutcome o);
  std::int64_t total() const { return both + physics_only + imagined_only + neither; }
  // Fraction of episodes on which the backends agree, (both + neither) / total; throws when total() == 0.
  double agreement() const;
};

PairedConfusion paired_confusion(std::span<const PairedOutcome> episodes);

// Cohen's kappa of the two backends as raters of success: (po - pe) / (1 - pe), po = agreement(), pe the
// agreement expected from the marginals, pe = P(phys) P(imag) + (1 - P(phys)) (1 - P(imag)). In [-1, 1].
// Convention: pe == 1 happens only when both backends give the same single label to every episode (all
// `both` or all `neither`), so po == 1 too; kappa is then defined as 1 (perfect agreement) rather than 0/0.
// Throws when total() == 0. Computed from integer counts, so pe == 1 is detected exactly.
double cohen_kappa(const PairedConfusion& c);

// ---- Bootstrap -----------------------------------------------------------------------------------------

// Per-policy success rates of paired episodes: for each policy the fraction of its episodes that succeed in
// each backend. policies[p] lists policy p's episodes; each must be non-empty.
struct SuccessRates {
  std::vector<double> imagined;  // sim
  std::vector<double> physics;   // real
};
SuccessRates success_rates(std::span<const std::vector<PairedOutcome>> policies);

// A statistic across policies, called as statistic(sim, real) = statistic(imagined rates, physics rates), the
// order of mmrv(); e.g. `pearson`, `mmrv`, or a lambda. It may throw a2w::InvalidArgument for a degenerate
// resample (e.g. Pearson when every resampled rate is equal).
using PolicyStatistic = std::function<double(std::span<const double> sim, std::span<const double> real)>;

struct BootstrapOptions {
  int resamples = 1000;      // B, number of bootstrap replicates (>= 1). Default: 1000
  double confidence = 0.95;  // coverage of the percentile interval, in (0, 1). Default: 0.95
  std::uint64_t seed = 0;    // seed of the one a2w::env::Rng stream all replicates draw from. Default: 0
};

struct BootstrapInterval {
  double estimate = 0.0;  // statistic on the data as given (not resampled)
  double low = 0.0;       // percentile (1 - confidence) / 2 of the replicates
  double high = 0.0;      // percentile (1 + confidence) / 2 of the replicates
  int resamples = 0;      // replicates drawn (options.resamples)
  int degenerate = 0;     // replicates where the statistic threw InvalidArgument; left out of the percentiles
};

// Percentile bootstrap that keeps the paired design: each replicate resamples, within every policy
// independently, as many episodes as it has, uniformly with replacement and keeping each episode's
// (physics, imagined) pair together; it then recomputes both backends' success rates and the statistic.
// Percentiles interpolate linearly between order statistics (position q (m - 1) in the m sorted values, as
// numpy's default). Deterministic for a given (policies, seed, resamples): all draws come from one
// a2w::env::Rng(seed) stream, replicate by replicate, policy by policy, one Rng::below(n) per episode. Throws
// for no policies, a policy without episodes, resamples < 1, confidence outside (0, 1), an empty statistic,
// or when every replicate is degenerate; the statistic's own exception propagates if it throws on the data as
// given.
BootstrapInterval bootstrap_interval(std::span<const std::vector<PairedOutcome>> policies,
                                     const PolicyStatistic& statistic, const BootstrapOptions& options = {});

}  // namespace a2w::bench
