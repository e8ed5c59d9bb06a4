// Correlation metrics (a2w/bench/metrics.h) against hand-computed cases. Expected values were worked out by
// hand from the definitions in the header (the small cases) or with a short numpy script of those same
// formulas (the larger ones), and are written here as numbers.

#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "a2w/bench/metrics.h"
#include "a2w/env/error.h"

using namespace a2w;
using namespace a2w::bench;
using Vec = std::vector<double>;

namespace {

// The message of the InvalidArgument that `f` throws; fails the test if it throws nothing or something else.
template <class F>
std::string invalid_argument_message(F&& f) {
  try {
    f();
  } catch (const InvalidArgument& e) {
    return e.what();
  }
  FAIL("expected a2w::InvalidArgument");
  return {};
}

PairedOutcome ep(bool physics, bool imagined) {
  return {physics, imagined};
}

// n episodes of policy outcomes, `both`, `physics_only`, `imagined_only` of each kind and the rest failures.
std::vector<PairedOutcome> episodes(int both, int physics_only, int imagined_only, int neither) {
  std::vector<PairedOutcome> v;
  for (int i = 0; i < both; ++i) v.push_back(ep(true, true));
  for (int i = 0; i < physics_only; ++i) v.push_back(ep(true, false));
  for (int i = 0; i < imagined_only; ++i) v.push_back(ep(false, true));
  for (int i = 0; i < neither; ++i) v.push_back(ep(false, false));
  return v;
}

}  // namespace

TEST_CASE("metrics: wilson_interval matches hand values at 0/n, n/2 and n/n") {
  // 0/10: low 0, high z^2 / (n + z^2) = 3.8416 / 13.8416.
  Interval i = wilson_interval(0, 10);
  CHECK(i.low == 0.0);
  CHECK(i.high == doctest::Approx(0.277540168767).epsilon(1e-10));
  i = wilson_interval(5, 10);
  CHECK(i.low == doctest::Approx(0.236589593615).epsilon(1e-10));
  CHECK(i.high == doctest::Approx(0.763410406385).epsilon(1e-10));
  // 10/10: low n / (n + z^2) = 10 / 13.8416, high exactly 1.
  i = wilson_interval(10, 10);
  CHECK(i.low == doctest::Approx(0.722459831233).epsilon(1e-10));
  CHECK(i.high == 1.0);
  i = wilson_interval(3, 20);
  CHECK(i.low == doctest::Approx(0.052367791959).epsilon(1e-10));
  CHECK(i.high == doctest::Approx(0.360423295887).epsilon(1e-10));
  i = wilson_interval(7, 12, 2.5758);  // 99 %
  CHECK(i.low == doctest::Approx(0.257997474150).epsilon(1e-10));
  CHECK(i.high == doctest::Approx(0.849328917025).epsilon(1e-10));
  // No trials: no information.
  i = wilson_interval(0, 0);
  CHECK(i.low == 0.0);
  CHECK(i.high == 1.0);
}

TEST_CASE("metrics: difference_interval is Newcombe's hybrid score interval") {
  // Newcombe (1998), Table II example: 56/70 - 48/80 = 0.2, method 10 gives [0.0524, 0.3339].
  Interval i = difference_interval(56, 70, 48, 80);
  CHECK(i.low == doctest::Approx(0.0524).epsilon(1e-3));
  CHECK(i.high == doctest::Approx(0.3339).epsilon(1e-3));
  // Swapping the samples mirrors the interval.
  const Interval m = difference_interval(48, 80, 56, 70);
  CHECK(m.low == doctest::Approx(-i.high).epsilon(1e-12));
  CHECK(m.high == doctest::Approx(-i.low).epsilon(1e-12));
  // Equal rates: symmetric around 0.
  i = difference_interval(5, 10, 5, 10);
  CHECK(i.low == doctest::Approx(-i.high).epsilon(1e-12));
  CHECK(i.low < 0.0);
  CHECK_THROWS_AS(difference_interval(11, 10, 0, 10), InvalidArgument);
}

TEST_CASE("metrics: wilson_interval rejects impossible counts and z") {
  CHECK(invalid_argument_message([] { wilson_interval(11, 10); }) ==
        "wilson_interval: expected successes in [0, n] = [0, 10], got 11");
  CHECK_THROWS_AS(wilson_interval(-1, 10), InvalidArgument);
  CHECK_THROWS_AS(wilson_interval(0, -1), InvalidArgument);
  CHECK_THROWS_AS(wilson_interval(1, 10, 0.0), InvalidArgument);
}

TEST_CASE("metrics: midranks give tied values the mean of their ranks") {
  CHECK(midranks(Vec{0.5, 0.2, 0.5}) == Vec{2.5, 1.0, 2.5});
  CHECK(midranks(Vec{0.9, 0.6, 0.6, 0.3, 0.1}) == Vec{5.0, 3.5, 3.5, 2.0, 1.0});
  CHECK(midranks(Vec{0.7, 0.7, 0.7}) == Vec{2.0, 2.0, 2.0});
  CHECK(midranks(Vec{}).empty());
}

TEST_CASE("metrics: Pearson, Spearman and Kendall tau-b with ties, small case by hand") {
  // x = {1, 2, 2, 3}, y = {1, 3, 2, 3}.
  // Pearson: dx = {-1, 0, 0, 1}, dy = {-1.25, .75, -.25, .75}: 2 / sqrt(2 * 2.75).
  // Spearman: ranks {1, 2.5, 2.5, 4} and {1, 3.5, 2, 3.5}: 3.75 / 4.5 = 5/6.
  // Kendall: 4 concordant, 0 discordant, 1 pair tied in x, 1 in y, n0 = 6: 4 / sqrt(5 * 5) = 0.8.
  const Vec x{1, 2, 2, 3}, y{1, 3, 2, 3};
  CHECK(pearson(x, y) == doctest::Approx(0.852802865422).epsilon(1e-10));
  CHECK(spearman(x, y) == doctest::Approx(5.0 / 6.0).epsilon(1e-12));
  CHECK(kendall_tau_b(x, y) == doctest::Approx(0.8).epsilon(1e-12));
  // Symmetric in their arguments.
  CHECK(pearson(y, x) == doctest::Approx(pearson(x, y)).epsilon(1e-14));
  CHECK(spearman(y, x) == doctest::Approx(spearman(x, y)).epsilon(1e-14));
  CHECK(kendall_tau_b(y, x) == doctest::Approx(kendall_tau_b(x, y)).epsilon(1e-14));
}

TEST_CASE("metrics: Pearson, Spearman and Kendall tau-b with ties in both variables") {
  // Kendall: 12 concordant, 0 discordant, tx = 2, ty = 1, n0 = 15: 12 / sqrt(13 * 14).
  const Vec x{0.1, 0.4, 0.4, 0.7, 0.9, 0.9}, y{0.2, 0.3, 0.5, 0.5, 0.8, 0.6};
  CHECK(pearson(x, y) == doctest::Approx(0.895740438820).epsilon(1e-10));
  CHECK(spearman(x, y) == doctest::Approx(0.940403258592).epsilon(1e-10));
  CHECK(kendall_tau_b(x, y) == doctest::Approx(0.889499179993).epsilon(1e-10));

  // Negative association. Kendall: 0 concordant, 7 discordant, tx = 1, ty = 2, n0 = 10: -7 / sqrt(72).
  // Spearman: ranks {5, 3.5, 3.5, 2, 1} and {1.5, 1.5, 3, 4.5, 4.5}: -8.25 / sqrt(9.5 * 9).
  const Vec a{0.9, 0.6, 0.6, 0.3, 0.1}, b{0.2, 0.2, 0.5, 0.7, 0.7};
  CHECK(pearson(a, b) == doctest::Approx(-0.872512576121).epsilon(1e-10));
  CHECK(spearman(a, b) == doctest::Approx(-0.892217816219).epsilon(1e-10));
  CHECK(kendall_tau_b(a, b) == doctest::Approx(-0.824957911384).epsilon(1e-10));

  // A perfect monotone relation is 1 for the rank correlations whatever the spacing.
  const Vec u{0.1, 0.2, 0.9}, v{0.0, 0.05, 1.0};
  CHECK(spearman(u, v) == doctest::Approx(1.0));
  CHECK(kendall_tau_b(u, v) == doctest::Approx(1.0));
  CHECK(pearson(u, v) < 1.0);
}

TEST_CASE("metrics: correlations reject mismatched, short, constant and non-finite input") {
  CHECK(invalid_argument_message([] {
          pearson(Vec{1, 2, 3}, Vec{1, 2});
        }) == "pearson: expected x and y of the same size, got 3 and 2");
  CHECK(invalid_argument_message([] { spearman(Vec{1}, Vec{1}); }) ==
        "spearman: expected at least 2 points, got 1");
  CHECK(invalid_argument_message([] {
          pearson(Vec{0.5, 0.5, 0.5}, Vec{1, 2, 3});
        }) ==
        "pearson: expected x with non-zero variance, got all 3 values equal to 0.5 (the correlation is "
        "undefined)");
  CHECK(invalid_argument_message([] {
          spearman(Vec{1, 2, 3}, Vec{0.2, 0.2, 0.2});
        }) ==
        "spearman: expected y with at least two distinct values, got all 3 equal to 0.2 (the correlation is "
        "undefined)");
  CHECK(invalid_argument_message([] {
          kendall_tau_b(Vec{1, 2}, Vec{4, 4});
        }) == "kendall_tau_b: expected y with at least two distinct values, got all equal to 4");
  CHECK_THROWS_AS(kendall_tau_b(Vec{1, 2}, Vec{1}), InvalidArgument);
  CHECK(invalid_argument_message([] {
          pearson(Vec{1, 2, 3}, Vec{1, std::nan(""), 3});
        }) == "pearson: expected finite values in y, got nan at index 1");
}

TEST_CASE("metrics: mean_signed_gap is imagined minus physics") {
  CHECK(mean_signed_gap(Vec{0.5, 0.9, 0.2}, Vec{0.4, 0.6, 0.3}) == doctest::Approx(0.1).epsilon(1e-12));
  CHECK(mean_signed_gap(Vec{0.4, 0.6, 0.3}, Vec{0.5, 0.9, 0.2}) == doctest::Approx(-0.1).epsilon(1e-12));
  CHECK(mean_signed_gap(Vec{0.7}, Vec{0.2}) == doctest::Approx(0.5));
  CHECK(invalid_argument_message([] { mean_signed_gap(Vec{}, Vec{}); }) ==
        "mean_signed_gap: expected at least 1 point, got 0");
  CHECK(invalid_argument_message([] {
          mean_signed_gap(Vec{0.1, 0.2}, Vec{0.1});
        }) == "mean_signed_gap: expected imagined and physics of the same size, got 2 and 1");
}

TEST_CASE("metrics: mmrv with ties, by hand, and its asymmetry") {
  // Same order in both: no violation.
  CHECK(mmrv(Vec{0.1, 0.5, 0.9}, Vec{0.2, 0.3, 0.4}) == 0.0);

  // A tie in sim beside a gap in real is a violation only for the policy better in real:
  // i = 0: (F != F) no; i = 1: (F != T), |0.8 - 0.2| = 0.6. Mean 0.3. Swapped: i = 1 (T != F) with
  // magnitude |0.5 - 0.5| = 0: mean 0.
  CHECK(mmrv(Vec{0.5, 0.5}, Vec{0.2, 0.8}) == doctest::Approx(0.3).epsilon(1e-12));
  CHECK(mmrv(Vec{0.2, 0.8}, Vec{0.5, 0.5}) == 0.0);

  // Without ties the magnitude still comes from the second argument: both policies violate, margin in
  // real 0.6 (swapped: margin 0.1).
  CHECK(mmrv(Vec{0.1, 0.2}, Vec{0.9, 0.3}) == doctest::Approx(0.6).epsilon(1e-12));
  CHECK(mmrv(Vec{0.9, 0.3}, Vec{0.1, 0.2}) == doctest::Approx(0.1).epsilon(1e-12));

  // Ties in both. sim = {.3, .6, .6, .9}, real = {.4, .4, .7, .5}; per-policy maxima:
  //   i = 0: none: 0.  i = 1 (.6, .4): j = 0 is T != F with |.4 - .4| = 0: 0.
  //   i = 2 (.6, .7): j = 1 F != T, .3; j = 3 F != T, .2: 0.3.  i = 3 (.9, .5): j = 2 T != F, .2: 0.2.
  //   MMRV = 0.5 / 4 = 0.125.
  // Swapped, sim = {.4, .4, .7, .5}, real = {.3, .6, .6, .9}: maxima 0, 0.3, 0.3, 0.3: 0.9 / 4 = 0.225.
  const Vec s{0.3, 0.6, 0.6, 0.9}, r{0.4, 0.4, 0.7, 0.5};
  CHECK(mmrv(s, r) == doctest::Approx(0.125).epsilon(1e-12));
  CHECK(mmrv(r, s) == doctest::Approx(0.225).epsilon(1e-12));

  CHECK(invalid_argument_message([] { mmrv(Vec{0.5}, Vec{0.5}); }) ==
        "mmrv: expected at least 2 points, got 1");
  CHECK(invalid_argument_message([] {
          mmrv(Vec{0.5, 0.1}, Vec{0.5});
        }) == "mmrv: expected sim and real of the same size, got 2 and 1");
}

TEST_CASE("metrics: paired confusion counts, agreement and Cohen's kappa") {
  const std::vector<PairedOutcome> eps{ep(true, true), ep(true, false),  ep(false, true), ep(false, false),
                                       ep(true, true), ep(false, false), ep(false, false)};
  const PairedConfusion c = paired_confusion(eps);
  CHECK(c.both == 2);
  CHECK(c.physics_only == 1);
  CHECK(c.imagined_only == 1);
  CHECK(c.neither == 3);
  CHECK(c.total() == 7);
  CHECK(c.agreement() == doctest::Approx(5.0 / 7.0));
  // po = 5/7, P(phys) = P(imag) = 3/7, pe = 9/49 + 16/49 = 25/49: kappa = (35 - 25) / (49 - 25) = 5/12.
  CHECK(cohen_kappa(c) == doctest::Approx(5.0 / 12.0).epsilon(1e-12));

  // po = 0.7, P(phys) = 0.5, P(imag) = 0.6, pe = 0.3 + 0.2 = 0.5: kappa = 0.2 / 0.5 = 0.4.
  CHECK(cohen_kappa({20, 5, 10, 15}) == doctest::Approx(0.4).epsilon(1e-12));
  // Disagreeing on every episode with balanced marginals: po = 0, pe = 0.5: -1.
  CHECK(cohen_kappa({0, 5, 5, 0}) == doctest::Approx(-1.0).epsilon(1e-12));
  // One backend always succeeds, the other never: po = 0, pe = 0: kappa 0.
  CHECK(cohen_kappa({0, 8, 0, 0}) == doctest::Approx(0.0));
  // Convention: both backends give one label to every episode, pe = po = 1: kappa 1.
  CHECK(cohen_kappa({6, 0, 0, 0}) == 1.0);
  CHECK(cohen_kappa({0, 0, 0, 6}) == 1.0);

  CHECK(invalid_argument_message([] { cohen_kappa(PairedConfusion{}); }) ==
        "cohen_kappa: expected at least 1 episode, got 0");
  CHECK_THROWS_AS(PairedConfusion{}.agreement(), InvalidArgument);
}

TEST_CASE("metrics: success_rates per policy in each backend") {
  const std::vector<std::vector<PairedOutcome>> policies{episodes(1, 1, 0, 2), episodes(0, 0, 3, 1)};
  const SuccessRates r = success_rates(policies);
  CHECK(r.physics == Vec{0.5, 0.0});
  CHECK(r.imagined == Vec{0.25, 0.75});
  const std::vector<std::vector<PairedOutcome>> with_empty{episodes(1, 0, 0, 0), {}};
  CHECK(invalid_argument_message([&] { success_rates(with_empty); }) ==
        "success_rates: expected at least 1 episode per policy, got 0 for policy 1");
}

TEST_CASE("metrics: bootstrap is deterministic for a seed and its interval holds the estimate") {
  // Five policies over the success range, 20 paired episodes each, A2World-sim slightly optimistic.
  const std::vector<std::vector<PairedOutcome>> policies{episodes(1, 1, 2, 16), episodes(5, 2, 2, 11),
                                                         episodes(9, 2, 3, 6), episodes(13, 1, 3, 3),
                                                         episodes(17, 1, 1, 1)};
  const SuccessRates given = success_rates(policies);
  const BootstrapOptions options{.resamples = 500, .confidence = 0.9, .seed = 42};

  const BootstrapInterval r = bootstrap_interval(policies, pearson, options);
  CHECK(r.estimate == doctest::Approx(pearson(given.imagined, given.physics)).epsilon(1e-14));
  CHECK(r.resamples == 500);
  CHECK(r.degenerate == 0);
  CHECK(r.low <= r.estimate);
  CHECK(r.estimate <= r.high);
  CHECK(r.low < r.high);
  CHECK(r.high <= 1.0);

  // Same seed, same interval, bit for bit; another seed, another interval.
  const BootstrapInterval again = bootstrap_interval(policies, pearson, options);
  CHECK(again.low == r.low);
  CHECK(again.high == r.high);
  BootstrapOptions other = options;
  other.seed = 43;
  const BootstrapInterval moved = bootstrap_interval(policies, pearson, other);
  CHECK((moved.low != r.low || moved.high != r.high));

  // The statistic receives (sim, real) = (imagined rates, physics rates), as mmrv() wants them.
  const BootstrapInterval m = bootstrap_interval(policies, mmrv, options);
  CHECK(m.estimate == doctest::Approx(mmrv(given.imagined, given.physics)).epsilon(1e-14));
  CHECK(m.low <= m.estimate);
  CHECK(m.estimate <= m.high);
  const BootstrapInterval gap = bootstrap_interval(policies, mean_signed_gap, options);
  CHECK(gap.estimate == doctest::Approx(0.04).epsilon(1e-12));  // (1 + 0 + 1 + 2 + 0) / 20 / 5
  CHECK(gap.low <= gap.estimate);
  CHECK(gap.estimate <= gap.high);
}

TEST_CASE("metrics: bootstrap keeps each episode's physics and imagined outcomes together") {
  // Every episode agrees, so every replicate has imagined == physics per policy and a gap of exactly 0.
  const std::vector<std::vector<PairedOutcome>> policies{episodes(3, 0, 0, 7), episodes(6, 0, 0, 4)};
  const BootstrapInterval r =
      bootstrap_interval(policies, mean_signed_gap, {.resamples = 200, .confidence = 0.95, .seed = 1});
  CHECK(r.low == 0.0);
  CHECK(r.high == 0.0);
}

TEST_CASE("metrics: bootstrap counts degenerate replicates and rejects bad input") {
  // Policy B always resamples to rates (1, 1); when policy A resamples both of its episodes to the success
  // (probability 1/4) both policies sit at 1 and Pearson is undefined: that replicate is left out.
  const std::vector<std::vector<PairedOutcome>> policies{{ep(true, true), ep(false, false)},
                                                         {ep(true, true)}};
  const BootstrapInterval r =
      bootstrap_interval(policies, pearson, {.resamples = 400, .confidence = 0.95, .seed = 7});
  CHECK(r.estimate == doctest::Approx(1.0));
  CHECK(r.degenerate > 0);
  CHECK(r.degenerate < r.resamples);
  CHECK(r.low == doctest::Approx(1.0));
  CHECK(r.high == doctest::Approx(1.0));

  // Degenerate everywhere but on the data as given.
  int calls = 0;
  const PolicyStatistic first_only = [&](std::span<const double>, std::span<const double>) -> double {
    if (calls++ > 0) throw InvalidArgument("degenerate");
    return 0.0;
  };
  CHECK(invalid_argument_message([&] { bootstrap_interval(policies, first_only, {.resamples = 5}); }) ==
        "bootstrap_interval: expected at least 1 resample on which the statistic is defined, got all 5 "
        "degenerate");

  CHECK(invalid_argument_message([&] { bootstrap_interval({}, pearson); }) ==
        "bootstrap_interval: expected at least 1 policy, got 0");
  CHECK(invalid_argument_message([&] { bootstrap_interval(policies, pearson, {.resamples = 0}); }) ==
        "bootstrap_interval: expected resamples >= 1, got 0");
  CHECK(invalid_argument_message([&] { bootstrap_interval(policies, pearson, {.confidence = 1.0}); }) ==
        "bootstrap_interval: expected confidence in (0, 1), got 1");
  CHECK_THROWS_AS(bootstrap_interval(policies, PolicyStatistic{}), InvalidArgument);
  // A statistic undefined on the data as given fails loudly rather than being bootstrapped.
  const std::vector<std::vector<PairedOutcome>> flat{episodes(1, 0, 0, 1), episodes(1, 0, 0, 1)};
  CHECK_THROWS_AS(bootstrap_interval(flat, pearson), InvalidArgument);
}
