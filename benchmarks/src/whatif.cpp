#include "a2w/bench/whatif.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "a2w/bench/evaluation.h"
#include "a2w/env/error.h"
#include "a2w/tasks/task_file.h"
#include "a2w/tasks/tasks.h"
#include "a2w/wm/policy_zoo.h"

namespace a2w::bench {

namespace {

namespace fs = std::filesystem;

constexpr const char* kBaseline = "baseline";

struct Declared {
  std::string name, description;
};

// The variants to run, in the task file's order, after checking the job.
std::vector<Declared> variants_of(const WhatIfJob& job) {
  if (job.policies.empty()) throw InvalidArgument("whatif: expected at least one policy, got none");
  for (const auto& p : job.policies)
    if (p == "expert" || p.rfind("expert@", 0) == 0)
      throw InvalidArgument(
          "whatif: the expert reads the physics state and cannot run in A2World-sim; expected "
          "learned, random or remote policies, got '" +
          p + "'");
  if (job.out_dir.empty()) throw InvalidArgument("whatif: expected an output folder for the results files");
  if (job.episodes < 1)
    throw InvalidArgument("whatif: expected episodes >= 1, got " + std::to_string(job.episodes));
  tasks::register_tasks();
  const tasks::TaskInfo info = tasks::describe_task(job.task);  // NotFound for an unknown id
  const tasks::TaskDef def = tasks::load_task_file(info.file);
  std::string declared;
  for (const auto& p : def.perturbations) declared += (declared.empty() ? "" : ", ") + p.name;
  if (def.perturbations.empty())
    throw InvalidArgument("whatif: " + job.task +
                          " declares no perturbations; expected a `perturbations` list in " + info.file +
                          " (tasks/task_file.h, docs/authoring.md)");
  if (def.perturbation_index(kBaseline) >= 0)
    throw InvalidArgument("whatif: " + info.file +
                          " declares a perturbation named 'baseline', the name of the task as written; "
                          "expected another name");
  std::vector<Declared> out;
  if (job.perturbations.empty()) {
    for (const auto& p : def.perturbations) out.push_back({p.name, p.description});
    return out;
  }
  for (const auto& name : job.perturbations) {
    const int k = def.perturbation_index(name);
    if (k < 0)
      throw InvalidArgument("whatif: " + job.task + " declares no perturbation '" + name +
                            "'; expected one of: " + declared);
    out.push_back({name, def.perturbations[static_cast<std::size_t>(k)].description});
  }
  return out;
}

std::string results_path(const WhatIfJob& job, const std::string& variant) {
  return (fs::path(job.out_dir) / (variant + ".jsonl")).string();
}

using Rate = WhatIfReport::Rate;

// Successes per (policy, backend) in one variant's file: the job's task, seeds 0 .. episodes-1.
struct Counts {
  std::vector<Rate> physics, wm;  // per policy, in the job's order
  Rate pooled_physics, pooled_wm;
};

Counts count(const WhatIfJob& job, const std::string& variant) {
  Counts c;
  c.physics.resize(job.policies.size());
  c.wm.resize(job.policies.size());
  for (const EvalRecord& r : read_eval_results(results_path(job, variant))) {
    if (r.task != job.task || r.seed_index >= job.episodes) continue;
    for (std::size_t i = 0; i < job.policies.size(); ++i) {
      if (r.policy != job.policies[i]) continue;
      Rate& rate = r.backend == "wm" ? c.wm[i] : c.physics[i];
      Rate& pooled = r.backend == "wm" ? c.pooled_wm : c.pooled_physics;
      rate.n += 1;
      rate.successes += r.success_once;
      pooled.n += 1;
      pooled.successes += r.success_once;
    }
  }
  return c;
}

int sign(double x) {
  return (x > 0) - (x < 0);
}

WhatIfReport::Change change(const Rate& base_physics, const Rate& base_wm, const Rate& physics,
                            const Rate& wm) {
  WhatIfReport::Change c;
  c.physics = physics;
  c.wm = wm;
  c.physics_change = physics.rate() - base_physics.rate();
  c.wm_change = wm.rate() - base_wm.rate();
  c.physics_interval =
      difference_interval(physics.successes, physics.n, base_physics.successes, base_physics.n);
  c.wm_interval = difference_interval(wm.successes, wm.n, base_wm.successes, base_wm.n);
  c.sign_agrees = sign(c.physics_change) == sign(c.wm_change);
  return c;
}

std::string fixed(double v, int digits = 2) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%+.*f", digits, v);
  return buf;
}

std::string plain(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2f", v);
  return buf;
}

env::Dict rate_dict(const Rate& r) {
  return {{"successes", r.successes}, {"episodes", r.n}, {"success_rate", r.rate()}};
}

env::Dict change_dict(const WhatIfReport::Change& c) {
  return {{"physics", rate_dict(c.physics)},
          {"wm", rate_dict(c.wm)},
          {"physics_change", c.physics_change},
          {"wm_change", c.wm_change},
          {"physics_change_interval", env::List{c.physics_interval.low, c.physics_interval.high}},
          {"wm_change_interval", env::List{c.wm_interval.low, c.wm_interval.high}},
          {"sign_agrees", c.sign_agrees}};
}

// The job with each zoo manifest replaced by its policies (as a2w eval does).
WhatIfJob expanded(const WhatIfJob& given) {
  WhatIfJob job = given;
  job.policies = wm::expand_zoo_manifests(given.policies);
  return job;
}

}  // namespace

WhatIfReport compare_whatif(const WhatIfJob& given) {
  const WhatIfJob job = expanded(given);
  const std::vector<Declared> variants = variants_of(job);
  WhatIfReport report;
  report.task = job.task;
  const Counts base = count(job, kBaseline);
  report.baseline_physics = base.pooled_physics;
  report.baseline_wm = base.pooled_wm;
  for (std::size_t i = 0; i < job.policies.size(); ++i)
    report.baseline_per_policy.push_back({job.policies[i], {base.physics[i], base.wm[i]}});
  std::vector<double> physics_changes, wm_changes;
  int agree = 0;
  for (const auto& v : variants) {
    const Counts c = count(job, v.name);
    WhatIfReport::Variant out;
    out.name = v.name;
    out.description = v.description;
    out.pooled = change(base.pooled_physics, base.pooled_wm, c.pooled_physics, c.pooled_wm);
    for (std::size_t i = 0; i < job.policies.size(); ++i)
      out.per_policy.push_back({job.policies[i], change(base.physics[i], base.wm[i], c.physics[i], c.wm[i])});
    physics_changes.push_back(out.pooled.physics_change);
    wm_changes.push_back(out.pooled.wm_change);
    agree += out.pooled.sign_agrees;
    report.variants.push_back(std::move(out));
  }
  report.sign_agreement =
      variants.empty() ? 0.0 : static_cast<double>(agree) / static_cast<double>(variants.size());
  // Undefined (too few variants, or no spread in a backend) stays unset rather than failing the sweep.
  try {
    report.spearman = spearman(wm_changes, physics_changes);
    report.kendall = kendall_tau_b(wm_changes, physics_changes);
  } catch (const InvalidArgument&) {
    report.spearman.reset();
    report.kendall.reset();
  }
  return report;
}

WhatIfReport run_whatif(const WhatIfJob& given) {
  const WhatIfJob job = expanded(given);
  const std::vector<Declared> variants = variants_of(job);
  std::error_code ec;
  fs::create_directories(job.out_dir, ec);
  if (ec) throw Error("whatif: could not create the output folder '" + job.out_dir + "': " + ec.message());
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::string> names{kBaseline};
  for (const auto& v : variants) names.push_back(v.name);
  for (std::size_t k = 0; k < names.size(); ++k) {
    if (job.progress) std::fprintf(stderr, "whatif: %zu/%zu %s\n", k + 1, names.size(), names[k].c_str());
    EvalJob e;
    e.policies = job.policies;
    e.tasks = {job.task};
    e.backends = {"physics", "wm"};
    e.episodes = job.episodes;
    e.checkpoint = job.checkpoint;
    e.device = job.device;
    e.num_envs = job.num_envs;
    e.num_threads = job.num_threads;
    e.env_options = job.env_options;
    if (names[k] != kBaseline) e.env_options["perturbation"] = names[k];
    e.results = results_path(job, names[k]);
    e.progress = job.progress;
    run_evaluation(e);
  }
  WhatIfReport report = compare_whatif(job);
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return report;
}

env::Dict WhatIfReport::to_dict() const {
  env::List vs;
  for (const auto& v : variants) {
    env::Dict pp;
    for (const auto& [policy, c] : v.per_policy) pp[policy] = change_dict(c);
    env::Dict d = change_dict(v.pooled);
    d["name"] = v.name;
    d["description"] = v.description;
    d["per_policy"] = pp;
    vs.push_back(d);
  }
  env::Dict base{{"physics", rate_dict(baseline_physics)}, {"wm", rate_dict(baseline_wm)}};
  env::Dict base_pp;
  for (const auto& [policy, r] : baseline_per_policy)
    base_pp[policy] = env::Dict{{"physics", rate_dict(r.first)}, {"wm", rate_dict(r.second)}};
  base["per_policy"] = base_pp;
  env::Dict d{{"task", task},
              {"baseline", base},
              {"variants", vs},
              {"sign_agreement", sign_agreement},
              {"seconds", seconds}};
  d["spearman"] = spearman ? env::Value(*spearman) : env::Value();
  d["kendall_tau_b"] = kendall ? env::Value(*kendall) : env::Value();
  return d;
}

std::string WhatIfReport::to_text() const {
  std::ostringstream s;
  s << "whatif " << task << ": baseline success " << plain(baseline_physics.rate()) << " in physics, "
    << plain(baseline_wm.rate()) << " imagined (" << baseline_physics.n << " and " << baseline_wm.n
    << " episodes)\n";
  char line[256];
  std::snprintf(line, sizeof(line), "  %-22s %-8s %-22s %-8s %-22s %s\n", "variant", "physics",
                "change [95 %]", "imagined", "change [95 %]", "sign");
  s << line;
  for (const auto& v : variants) {
    const Change& c = v.pooled;
    const std::string pc = fixed(c.physics_change) + " [" + fixed(c.physics_interval.low) + ", " +
                           fixed(c.physics_interval.high) + "]";
    const std::string wc =
        fixed(c.wm_change) + " [" + fixed(c.wm_interval.low) + ", " + fixed(c.wm_interval.high) + "]";
    std::snprintf(line, sizeof(line), "  %-22s %-8s %-22s %-8s %-22s %s\n", v.name.c_str(),
                  plain(c.physics.rate()).c_str(), pc.c_str(), plain(c.wm.rate()).c_str(), wc.c_str(),
                  c.sign_agrees ? "agrees" : "differs");
    s << line;
  }
  int agree = 0;
  for (const auto& v : variants) agree += v.pooled.sign_agrees;
  s << "signs agree on " << agree << " of " << variants.size()
    << " variants; rank correlation of the changes: ";
  if (spearman && kendall)
    s << "Spearman " << plain(*spearman) << ", Kendall tau-b " << plain(*kendall);
  else
    s << "undefined (fewer than 2 variants, or no spread)";
  s << "\n";
  return s.str();
}

}  // namespace a2w::bench
