#include "a2w/bench/correlation.h"

#include <cmath>
#include <limits>
#include <map>
#include <sstream>
#include <tuple>

#include "a2w/env/error.h"

namespace a2w::bench {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Statistic, or NaN with a note when the data leave it undefined.
double defined(const std::function<double()>& f, const char* name, std::vector<std::string>& notes) {
  try {
    return f();
  } catch (const InvalidArgument& e) {
    notes.push_back(std::string(name) + " undefined: " + e.what());
    return kNaN;
  }
}

CorrelationStats scope_stats(const std::string& scope, const std::vector<const PolicyScore*>& points,
                             const std::vector<std::vector<PairedOutcome>>& episodes,
                             const CorrelateOptions& o) {
  CorrelationStats s;
  s.scope = scope;
  s.points = static_cast<std::int64_t>(points.size());
  std::vector<double> sim, real;
  for (const auto* p : points) {
    sim.push_back(p->imagined);
    real.push_back(p->physics);
    s.episodes += p->paired;
    s.confusion.both += p->confusion.both;
    s.confusion.physics_only += p->confusion.physics_only;
    s.confusion.imagined_only += p->confusion.imagined_only;
    s.confusion.neither += p->confusion.neither;
  }
  s.pearson = defined([&] { return pearson(sim, real); }, "pearson", s.notes);
  s.spearman = defined([&] { return spearman(sim, real); }, "spearman", s.notes);
  s.kendall_tau_b = defined([&] { return kendall_tau_b(sim, real); }, "kendall_tau_b", s.notes);
  s.mean_gap = defined([&] { return mean_signed_gap(sim, real); }, "mean_gap", s.notes);
  s.mmrv = defined([&] { return mmrv(sim, real); }, "mmrv", s.notes);
  BootstrapOptions bo{o.resamples, o.confidence, o.seed};
  auto boot = [&](const PolicyStatistic& f, double estimate) {
    BootstrapInterval b;
    b.estimate = b.low = b.high = kNaN;
    if (std::isnan(estimate)) return b;
    try {
      return bootstrap_interval(episodes, f, bo);
    } catch (const InvalidArgument& e) {
      s.notes.push_back(std::string("bootstrap: ") + e.what());
      return b;
    }
  };
  s.pearson_ci =
      boot([](std::span<const double> a, std::span<const double> b) { return pearson(a, b); }, s.pearson);
  s.mmrv_ci = boot([](std::span<const double> a, std::span<const double> b) { return mmrv(a, b); }, s.mmrv);
  s.agreement = s.confusion.total() ? s.confusion.agreement() : kNaN;
  s.kappa = defined([&] { return cohen_kappa(s.confusion); }, "kappa", s.notes);
  return s;
}

std::string num(double v, int digits = 3) {
  if (std::isnan(v)) return "nan";
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(digits);
  s << v;
  return s.str();
}

env::Dict interval_dict(const BootstrapInterval& b) {
  return {{"low", b.low},
          {"high", b.high},
          {"resamples", static_cast<std::int64_t>(b.resamples)},
          {"degenerate", static_cast<std::int64_t>(b.degenerate)}};
}

env::Dict confusion_dict(const PairedConfusion& c) {
  return {{"both", c.both},
          {"physics_only", c.physics_only},
          {"imagined_only", c.imagined_only},
          {"neither", c.neither}};
}

}  // namespace

CorrelationReport correlate(const std::vector<EvalRecord>& records, const CorrelateOptions& options) {
  // (policy, task, seed) -> outcome per backend
  using Key = std::tuple<std::string, std::string, std::uint64_t>;
  std::map<Key, std::pair<int, int>> outcomes;  // -1: no record; else success_once
  for (const auto& r : records) {
    if (r.backend != "physics" && r.backend != "wm")
      throw InvalidArgument("correlate: record with unknown backend '" + r.backend + "'");
    auto [it, fresh] = outcomes.try_emplace(Key{r.policy, r.task, r.seed}, -1, -1);
    (r.backend == "physics" ? it->second.first : it->second.second) = r.success_once ? 1 : 0;
  }
  CorrelationReport report;
  report.options = options;
  std::map<std::pair<std::string, std::string>, std::vector<PairedOutcome>> by_point;  // (task, policy)
  for (const auto& [key, o] : outcomes) {
    if (o.first < 0 || o.second < 0) {
      ++report.unpaired;
      continue;
    }
    by_point[{std::get<1>(key), std::get<0>(key)}].push_back({o.first == 1, o.second == 1});
  }
  if (by_point.empty())
    throw InvalidArgument(
        "correlate: no episode has records in both backends (physics and wm); run a2w eval "
        "with --backends physics,wm");
  std::vector<std::vector<PairedOutcome>> point_episodes;
  for (const auto& [tp, eps] : by_point) {
    PolicyScore p;
    p.task = tp.first;
    p.policy = tp.second;
    p.paired = static_cast<std::int64_t>(eps.size());
    std::int64_t ps = 0, is = 0;
    for (const auto& e : eps) {
      ps += e.physics;
      is += e.imagined;
      p.confusion.add(e);
    }
    p.physics = static_cast<double>(ps) / static_cast<double>(p.paired);
    p.imagined = static_cast<double>(is) / static_cast<double>(p.paired);
    p.physics_ci = wilson_interval(ps, p.paired);
    p.imagined_ci = wilson_interval(is, p.paired);
    report.points.push_back(p);
    point_episodes.push_back(eps);
  }
  std::map<std::string, std::vector<std::size_t>> by_task;
  for (std::size_t i = 0; i < report.points.size(); ++i) by_task[report.points[i].task].push_back(i);
  for (const auto& [task, idx] : by_task) {
    std::vector<const PolicyScore*> pts;
    std::vector<std::vector<PairedOutcome>> eps;
    for (auto i : idx) {
      pts.push_back(&report.points[i]);
      eps.push_back(point_episodes[i]);
    }
    report.scopes.push_back(scope_stats(task, pts, eps, options));
  }
  std::vector<const PolicyScore*> all;
  for (const auto& p : report.points) all.push_back(&p);
  report.scopes.push_back(scope_stats("pooled", all, point_episodes, options));
  return report;
}

env::Dict CorrelationReport::to_dict() const {
  env::List pts, scs;
  for (const auto& p : points)
    pts.push_back(env::Dict{{"policy", p.policy},
                            {"task", p.task},
                            {"paired_episodes", p.paired},
                            {"physics", p.physics},
                            {"physics_low", p.physics_ci.low},
                            {"physics_high", p.physics_ci.high},
                            {"imagined", p.imagined},
                            {"imagined_low", p.imagined_ci.low},
                            {"imagined_high", p.imagined_ci.high},
                            {"confusion", confusion_dict(p.confusion)}});
  for (const auto& s : scopes) {
    env::List notes(s.notes.begin(), s.notes.end());
    scs.push_back(env::Dict{{"scope", s.scope},
                            {"points", s.points},
                            {"episodes", s.episodes},
                            {"pearson", s.pearson},
                            {"pearson_ci", interval_dict(s.pearson_ci)},
                            {"spearman", s.spearman},
                            {"kendall_tau_b", s.kendall_tau_b},
                            {"mean_gap", s.mean_gap},
                            {"mmrv", s.mmrv},
                            {"mmrv_ci", interval_dict(s.mmrv_ci)},
                            {"agreement", s.agreement},
                            {"kappa", s.kappa},
                            {"confusion", confusion_dict(s.confusion)},
                            {"notes", notes}});
  }
  return {{"points", pts},
          {"scopes", scs},
          {"unpaired_records", unpaired},
          {"bootstrap", env::Dict{{"resamples", static_cast<std::int64_t>(options.resamples)},
                                  {"confidence", options.confidence},
                                  {"seed", std::to_string(options.seed)}}}};
}

std::string CorrelationReport::to_csv() const {
  std::ostringstream s;
  s << "policy,task,paired_episodes,physics,physics_low,physics_high,imagined,imagined_low,imagined_high,"
       "both,physics_only,imagined_only,neither\n";
  auto quote = [](const std::string& x) {
    std::string q = "\"";
    for (char c : x) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
  };
  for (const auto& p : points)
    s << quote(p.policy) << "," << quote(p.task) << "," << p.paired << "," << num(p.physics, 4) << ","
      << num(p.physics_ci.low, 4) << "," << num(p.physics_ci.high, 4) << "," << num(p.imagined, 4) << ","
      << num(p.imagined_ci.low, 4) << "," << num(p.imagined_ci.high, 4) << "," << p.confusion.both << ","
      << p.confusion.physics_only << "," << p.confusion.imagined_only << "," << p.confusion.neither << "\n";
  return s.str();
}

std::string CorrelationReport::to_text() const {
  std::ostringstream s;
  s << "per policy (success_once over paired episodes, Wilson 95 %):\n";
  for (const auto& p : points)
    s << "  " << p.task << "  " << p.policy << ": physics " << num(p.physics, 2) << " ["
      << num(p.physics_ci.low, 2) << ", " << num(p.physics_ci.high, 2) << "], imagined " << num(p.imagined, 2)
      << " [" << num(p.imagined_ci.low, 2) << ", " << num(p.imagined_ci.high, 2) << "], " << p.paired
      << " episodes\n";
  s << "across policies (sim = A2World-sim, real = physics):\n";
  for (const auto& c : scopes) {
    s << "  " << c.scope << " (" << c.points << " points, " << c.episodes << " episodes): pearson "
      << num(c.pearson) << " [" << num(c.pearson_ci.low) << ", " << num(c.pearson_ci.high) << "], spearman "
      << num(c.spearman) << ", kendall " << num(c.kendall_tau_b) << ", gap " << num(c.mean_gap) << ", mmrv "
      << num(c.mmrv) << " [" << num(c.mmrv_ci.low) << ", " << num(c.mmrv_ci.high) << "], agreement "
      << num(c.agreement) << ", kappa " << num(c.kappa) << "\n";
    for (const auto& n : c.notes) s << "    note: " << n << "\n";
  }
  if (unpaired > 0) s << unpaired << " episodes have a record in one backend only (not counted)\n";
  return s.str();
}

}  // namespace a2w::bench
