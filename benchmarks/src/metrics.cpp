#include "a2w/bench/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numeric>
#include <sstream>
#include <string>
#include <utility>

#include "a2w/env/error.h"
#include "a2w/env/rng.h"

namespace a2w::bench {

namespace {

[[noreturn]] void fail(const std::string& fn, const std::string& message) {
  throw InvalidArgument(fn + ": " + message);
}

std::string num(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

void require_finite(const char* fn, const char* name, std::span<const double> v) {
  for (std::size_t i = 0; i < v.size(); ++i)
    if (!std::isfinite(v[i]))
      fail(fn, std::string("expected finite values in ") + name + ", got " + num(v[i]) + " at index " +
                   std::to_string(i));
}

// Checks that two per-policy vectors pair up and are finite; `min_size` is the fewest points the metric
// needs.
void require_paired(const char* fn, const char* xname, std::span<const double> x, const char* yname,
                    std::span<const double> y, std::size_t min_size) {
  if (x.size() != y.size())
    fail(fn, std::string("expected ") + xname + " and " + yname + " of the same size, got " +
                 std::to_string(x.size()) + " and " + std::to_string(y.size()));
  if (x.size() < min_size)
    fail(fn, "expected at least " + std::to_string(min_size) + (min_size == 1 ? " point" : " points") +
                 ", got " + std::to_string(x.size()));
  require_finite(fn, xname, x);
  require_finite(fn, yname, y);
}

// Pearson on already validated input; `fn` names the public function in messages.
double correlation(const char* fn, const char* xname, std::span<const double> x, const char* yname,
                   std::span<const double> y) {
  const double n = static_cast<double>(x.size());
  const double mx = std::accumulate(x.begin(), x.end(), 0.0) / n;
  const double my = std::accumulate(y.begin(), y.end(), 0.0) / n;
  // Two passes (centre, then sum products): no cancellation for values far from 0.
  double sxx = 0.0, syy = 0.0, sxy = 0.0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double dx = x[i] - mx, dy = y[i] - my;
    sxx += dx * dx;
    syy += dy * dy;
    sxy += dx * dy;
  }
  const auto require_spread = [&](const char* name, double ss, std::span<const double> v) {
    if (!(ss > 0.0))
      fail(fn, std::string("expected ") + name + " with non-zero variance, got all " +
                   std::to_string(v.size()) + " values equal to " + num(v[0]) +
                   " (the correlation is undefined)");
  };
  require_spread(xname, sxx, x);
  require_spread(yname, syy, y);
  // Rounding can push |r| a hair past 1.
  return std::clamp(sxy / std::sqrt(sxx * syy), -1.0, 1.0);
}

int sign(double d) {
  return (d > 0.0) - (d < 0.0);
}

// Linear interpolation between order statistics of sorted `v` at quantile q in [0, 1] (numpy's default).
double percentile_sorted(const std::vector<double>& v, double q) {
  const double pos = q * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const std::size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

}  // namespace

Interval wilson_interval(std::int64_t successes, std::int64_t n, double z) {
  constexpr const char* fn = "wilson_interval";
  if (n < 0) fail(fn, "expected n >= 0 trials, got " + std::to_string(n));
  if (successes < 0 || successes > n)
    fail(fn,
         "expected successes in [0, n] = [0, " + std::to_string(n) + "], got " + std::to_string(successes));
  if (!std::isfinite(z) || !(z > 0.0)) fail(fn, "expected a finite z > 0, got " + num(z));
  if (n == 0) return {0.0, 1.0};
  const double nn = static_cast<double>(n);
  const double p = static_cast<double>(successes) / nn;
  const double z2 = z * z;
  const double denom = 1.0 + z2 / nn;
  const double centre = (p + z2 / (2.0 * nn)) / denom;
  const double half = z / denom * std::sqrt(p * (1.0 - p) / nn + z2 / (4.0 * nn * nn));
  // At p = 0 (p = 1) the bound is exactly 0 (1) in exact arithmetic; say so rather than leave rounding.
  const double low = successes == 0 ? 0.0 : std::max(0.0, centre - half);
  const double high = successes == n ? 1.0 : std::min(1.0, centre + half);
  return {low, high};
}

Interval difference_interval(std::int64_t s1, std::int64_t n1, std::int64_t s2, std::int64_t n2, double z) {
  const Interval a = wilson_interval(s1, n1, z), b = wilson_interval(s2, n2, z);
  const double p1 = n1 ? static_cast<double>(s1) / static_cast<double>(n1) : 0.5;
  const double p2 = n2 ? static_cast<double>(s2) / static_cast<double>(n2) : 0.5;
  const double d = p1 - p2;
  return {d - std::hypot(p1 - a.low, b.high - p2), d + std::hypot(a.high - p1, p2 - b.low)};
}

double pearson(std::span<const double> x, std::span<const double> y) {
  require_paired("pearson", "x", x, "y", y, 2);
  return correlation("pearson", "x", x, "y", y);
}

std::vector<double> midranks(std::span<const double> x) {
  require_finite("midranks", "x", x);
  std::vector<std::size_t> order(x.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return x[a] < x[b]; });
  std::vector<double> ranks(x.size());
  for (std::size_t start = 0; start < order.size();) {
    std::size_t end = start + 1;
    while (end < order.size() && x[order[end]] == x[order[start]]) ++end;
    // Positions start..end-1 (0-based) hold ranks start+1..end; their mean is (start + 1 + end) / 2.
    const double rank = static_cast<double>(start + 1 + end) / 2.0;
    for (std::size_t k = start; k < end; ++k) ranks[order[k]] = rank;
    start = end;
  }
  return ranks;
}

double spearman(std::span<const double> x, std::span<const double> y) {
  require_paired("spearman", "x", x, "y", y, 2);
  // Check here so that the message names the values, not their ranks: constant values give constant ranks.
  for (const auto& [name, v] : {std::pair{"x", x}, std::pair{"y", y}})
    if (std::all_of(v.begin(), v.end(), [&](double e) { return e == v[0]; }))
      fail("spearman", std::string("expected ") + name + " with at least two distinct values, got all " +
                           std::to_string(v.size()) + " equal to " + num(v[0]) +
                           " (the correlation is undefined)");
  return correlation("spearman", "x", midranks(x), "y", midranks(y));
}

double kendall_tau_b(std::span<const double> x, std::span<const double> y) {
  constexpr const char* fn = "kendall_tau_b";
  require_paired(fn, "x", x, "y", y, 2);
  // s = concordant - discordant; untied_x = n0 - tx, untied_y = n0 - ty.
  std::int64_t s = 0, untied_x = 0, untied_y = 0;
  for (std::size_t i = 0; i < x.size(); ++i)
    for (std::size_t j = i + 1; j < x.size(); ++j) {
      const int sx = sign(x[i] - x[j]), sy = sign(y[i] - y[j]);
      s += sx * sy;
      untied_x += sx != 0;
      untied_y += sy != 0;
    }
  if (untied_x == 0) fail(fn, "expected x with at least two distinct values, got all equal to " + num(x[0]));
  if (untied_y == 0) fail(fn, "expected y with at least two distinct values, got all equal to " + num(y[0]));
  const double tau =
      static_cast<double>(s) / std::sqrt(static_cast<double>(untied_x) * static_cast<double>(untied_y));
  return std::clamp(tau, -1.0, 1.0);
}

double mean_signed_gap(std::span<const double> imagined, std::span<const double> physics) {
  require_paired("mean_signed_gap", "imagined", imagined, "physics", physics, 1);
  double sum = 0.0;
  for (std::size_t i = 0; i < imagined.size(); ++i) sum += imagined[i] - physics[i];
  return sum / static_cast<double>(imagined.size());
}

double mmrv(std::span<const double> sim, std::span<const double> real) {
  require_paired("mmrv", "sim", sim, "real", real, 2);
  double total = 0.0;
  for (std::size_t i = 0; i < sim.size(); ++i) {
    double worst = 0.0;
    for (std::size_t j = 0; j < sim.size(); ++j)
      if ((sim[i] > sim[j]) != (real[i] > real[j])) worst = std::max(worst, std::abs(real[i] - real[j]));
    total += worst;
  }
  return total / static_cast<double>(sim.size());
}

void PairedConfusion::add(PairedOutcome o) {
  if (o.physics)
    ++(o.imagined ? both : physics_only);
  else
    ++(o.imagined ? imagined_only : neither);
}

double PairedConfusion::agreement() const {
  if (total() == 0) fail("PairedConfusion::agreement", "expected at least 1 episode, got 0");
  return static_cast<double>(both + neither) / static_cast<double>(total());
}

PairedConfusion paired_confusion(std::span<const PairedOutcome> episodes) {
  PairedConfusion c;
  for (const PairedOutcome& o : episodes) c.add(o);
  return c;
}

double cohen_kappa(const PairedConfusion& c) {
  const std::int64_t n = c.total();
  if (n == 0) fail("cohen_kappa", "expected at least 1 episode, got 0");
  if (c.both < 0 || c.physics_only < 0 || c.imagined_only < 0 || c.neither < 0)
    fail("cohen_kappa", "expected non-negative counts, got both=" + std::to_string(c.both) +
                            " physics_only=" + std::to_string(c.physics_only) + " imagined_only=" +
                            std::to_string(c.imagined_only) + " neither=" + std::to_string(c.neither));
  // pe == 1 only when both backends give one label to every episode (then po == 1 too): see the header.
  if (c.both == n || c.neither == n) return 1.0;
  // Multiply through by n^2: kappa = (n * agree - e) / (n^2 - e), e = n^2 pe; every term is an integer held
  // exactly in a double for any realistic n.
  const double nd = static_cast<double>(n);
  const double phys_yes = static_cast<double>(c.both + c.physics_only);
  const double imag_yes = static_cast<double>(c.both + c.imagined_only);
  const double e = phys_yes * imag_yes + (nd - phys_yes) * (nd - imag_yes);
  const double agree = static_cast<double>(c.both + c.neither);
  return (nd * agree - e) / (nd * nd - e);
}

SuccessRates success_rates(std::span<const std::vector<PairedOutcome>> policies) {
  SuccessRates r;
  r.imagined.reserve(policies.size());
  r.physics.reserve(policies.size());
  for (std::size_t p = 0; p < policies.size(); ++p) {
    if (policies[p].empty())
      fail("success_rates", "expected at least 1 episode per policy, got 0 for policy " + std::to_string(p));
    std::int64_t imag = 0, phys = 0;
    for (const PairedOutcome& o : policies[p]) {
      imag += o.imagined;
      phys += o.physics;
    }
    const double n = static_cast<double>(policies[p].size());
    r.imagined.push_back(static_cast<double>(imag) / n);
    r.physics.push_back(static_cast<double>(phys) / n);
  }
  return r;
}

BootstrapInterval bootstrap_interval(std::span<const std::vector<PairedOutcome>> policies,
                                     const PolicyStatistic& statistic, const BootstrapOptions& options) {
  constexpr const char* fn = "bootstrap_interval";
  if (policies.empty()) fail(fn, "expected at least 1 policy, got 0");
  if (options.resamples < 1) fail(fn, "expected resamples >= 1, got " + std::to_string(options.resamples));
  if (!(options.confidence > 0.0 && options.confidence < 1.0))
    fail(fn, "expected confidence in (0, 1), got " + num(options.confidence));
  if (!statistic) fail(fn, "expected a statistic to compute, got an empty function");

  BootstrapInterval out;
  out.resamples = options.resamples;
  const SuccessRates given = success_rates(policies);  // also rejects a policy without episodes
  out.estimate = statistic(given.imagined, given.physics);

  env::Rng rng(options.seed);
  std::vector<double> values;
  values.reserve(static_cast<std::size_t>(options.resamples));
  std::vector<double> imagined(policies.size()), physics(policies.size());
  for (int b = 0; b < options.resamples; ++b) {
    for (std::size_t p = 0; p < policies.size(); ++p) {
      const std::vector<PairedOutcome>& episodes = policies[p];
      std::int64_t imag = 0, phys = 0;
      for (std::size_t k = 0; k < episodes.size(); ++k) {
        const PairedOutcome& o = episodes[rng.below(episodes.size())];
        imag += o.imagined;
        phys += o.physics;
      }
      const double n = static_cast<double>(episodes.size());
      imagined[p] = static_cast<double>(imag) / n;
      physics[p] = static_cast<double>(phys) / n;
    }
    try {
      values.push_back(statistic(imagined, physics));
    } catch (const InvalidArgument&) {
      ++out.degenerate;
    }
  }
  if (values.empty())
    fail(fn, "expected at least 1 resample on which the statistic is defined, got all " +
                 std::to_string(options.resamples) + " degenerate");
  std::sort(values.begin(), values.end());
  const double alpha = 1.0 - options.confidence;
  out.low = percentile_sorted(values, alpha / 2.0);
  out.high = percentile_sorted(values, 1.0 - alpha / 2.0);
  return out;
}

}  // namespace a2w::bench
