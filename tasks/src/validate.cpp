#include "a2w/tasks/validate.h"

#include <chrono>
#include <fstream>
#include <sstream>

#include "a2w/env/error.h"
#include "a2w/tasks/expert.h"
#include "a2w/tasks/task_env.h"
#include "a2w/tasks/task_file.h"

namespace a2w::tasks {
namespace {

using Severity = Diagnostic::Severity;

std::string fmt(double v) {
  std::ostringstream o;
  o << v;
  return o.str();
}

// Ranges that reach beyond the box the controller keeps the tool centre point in: the task runs, but
// nothing can reach the thing there.
void warn_unreachable(const TaskDef& def, std::vector<Diagnostic>& out) {
  const Workspace ws;
  auto check = [&](const SourceLoc& loc, const std::string& what, const Vec2& x, const Vec2& y) {
    for (int k = 0; k < 2; ++k) {
      const Vec2& r = k == 0 ? x : y;
      const double lo = ws.lo[static_cast<std::size_t>(k)], hi = ws.hi[static_cast<std::size_t>(k)];
      if (r[0] < lo - 1e-9 || r[1] > hi + 1e-9)
        out.push_back({Severity::kWarning, loc,
                       what + ": " + (k == 0 ? "x" : "y") + " range [" + fmt(r[0]) + ", " + fmt(r[1]) +
                           "] reaches beyond where the arm can go ([" + fmt(lo) + ", " + fmt(hi) +
                           "]); expected a range the tool centre point can reach"});
    }
  };
  for (const auto& o : def.objects) check(o.loc, "object '" + o.name + "'", o.x, o.y);
  for (const auto& f : def.fixtures) check(f.loc, "fixture '" + f.name + "'", f.x, f.y);
  for (const auto& i : def.includes)
    if (i.kind != IncludeDef::Kind::kRobot) check(i.loc, "include '" + i.name + "'", i.x, i.y);
}

// The location where the free body `i` (objects, then included objects) was written.
SourceLoc free_body_loc(const TaskDef& def, std::size_t i) {
  if (i < def.objects.size()) return def.objects[i].loc;
  std::size_t k = def.objects.size();
  for (const auto& inc : def.includes)
    if (inc.kind == IncludeDef::Kind::kObject && k++ == i) return inc.loc;
  return {def.file, 0, 0};
}

double run_expert(TaskEnv& env, int episodes) {
  int success = 0;
  for (int s = 0; s < episodes; ++s) {
    env.reset(static_cast<std::uint64_t>(s));
    ExpertState state;
    while (true) {
      const auto a = expert_action_clean(env, state);
      const auto r = env.step(env::Array::from(std::vector<float>(a.begin(), a.end()), {7}));
      if (r.terminated || r.truncated) {
        success += r.info.at("success").as_bool();
        break;
      }
    }
  }
  return episodes > 0 ? static_cast<double>(success) / episodes : 0.0;
}

}  // namespace

int ValidationResult::errors() const {
  int n = 0;
  for (const auto& d : diagnostics) n += d.is_error();
  return n;
}

int ValidationResult::warnings() const {
  return static_cast<int>(diagnostics.size()) - errors();
}

ValidationResult validate_task_text(const std::string& yaml_text, const std::string& file,
                                    const ValidationOptions& options) {
  ValidationResult r;
  r.file = file;
  const auto t0 = std::chrono::steady_clock::now();
  // 1. reading
  std::optional<TaskDef> def = read_task_text(yaml_text, file, r.diagnostics);
  if (!def) return r;
  // 2. compiling (building one state-only env compiles the scene and fits the robot)
  std::unique_ptr<TaskEnv> env;
  try {
    env = std::make_unique<TaskEnv>(*def, TaskEnvOptions::from_dict({{"render", false}}), "validate");
  } catch (const TaskFileError& e) {
    for (const auto& d : e.diagnostics()) r.diagnostics.push_back(d);
    return r;
  } catch (const Error& e) {
    r.diagnostics.push_back({Severity::kError, {file, 0, 0}, e.what()});
    return r;
  }
  r.make_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  warn_unreachable(*def, r.diagnostics);
  // 3. running
  bool success_at_reset = false;
  for (int s = 0; s < options.seeds; ++s) {
    try {
      env->reset(static_cast<std::uint64_t>(s));
    } catch (const Error& e) {
      r.diagnostics.push_back(
          {Severity::kError, {file, 0, 0}, "reset(seed " + std::to_string(s) + "): " + e.what()});
      return r;
    }
    const auto& bodies = env->compiled().free_bodies;
    for (std::size_t i = 0; i < bodies.size(); ++i) {
      const double z = env->data()->xpos[3 * bodies[i].body + 2];
      if (z < -0.05)
        r.diagnostics.push_back({Severity::kError, free_body_loc(*def, i),
                                 "'" + bodies[i].name + "' fell off the table at reset (seed " +
                                     std::to_string(s) + ", z = " + fmt(z) +
                                     " m); expected it to rest on the table"});
    }
    if (!success_at_reset && env->success_now()) {
      success_at_reset = true;
      r.diagnostics.push_back({Severity::kWarning, def->success.loc,
                               "success holds in the initial state (seed " + std::to_string(s) +
                                   "): expected a task that is not done before it starts"});
    }
  }
  if (options.expert_episodes > 0 && r.ok()) {
    try {
      r.expert_success = run_expert(*env, options.expert_episodes);
      if (*r.expert_success < 0.9)
        r.diagnostics.push_back({Severity::kWarning, def->expert.front().loc,
                                 "the expert succeeded in " + fmt(100 * *r.expert_success) + " % of " +
                                     std::to_string(options.expert_episodes) +
                                     " episodes; expected at least 90 % for data collection"});
    } catch (const Error& e) {
      r.diagnostics.push_back({Severity::kError, {file, 0, 0}, std::string("expert: ") + e.what()});
    }
  }
  return r;
}

ValidationResult validate_task_file(const std::string& path, const ValidationOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ValidationResult r;
    r.file = path;
    r.diagnostics.push_back(
        {Severity::kError, {path, 0, 0}, "expected a readable task file, could not open it"});
    return r;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return validate_task_text(ss.str(), path, options);
}

}  // namespace a2w::tasks
