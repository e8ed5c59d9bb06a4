// a2w: the command-line tool. Argument parsing only: every verb calls a library function (a2w::bench::...,
// a2w::tasks::...) that a C++ user can call directly.

#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "a2w/bench/collect.h"
#include "a2w/bench/doctor.h"
#include "a2w/bench/env_bench.h"
#include "a2w/bench/rollout_job.h"
#include "a2w/env/json.h"
#include "a2w/env/registry.h"
#include "a2w/tasks/mujoco_boundary.h"
#include "a2w/tasks/tasks.h"
#include "args.h"

namespace {

using a2w::cli::Command;
using a2w::cli::UsageError;
using Args = std::vector<std::string>;

constexpr const char* kUsage = R"(usage: a2w <verb> [options]      (a2w <verb> --help for each verb's options)

  demo                 run the expert and a random policy on a few tasks and print success rates
  tasks list           list task ids
  tasks show ID        describe a task: objects, fixtures, success predicate, instructions, cameras
  rollout              run a policy on a task: success rate, return; optional video and HDF5 recording
  collect              run scripted experts on many tasks and noise levels into one dataset folder
  doctor               check rendering (GL vendor, ms/frame), BLAS, ffmpeg and Python modules
  bench env            VectorEnv throughput beside raw mj_step and raw render loops

Every verb that reports figures also prints them as one JSON object with --json.
)";

void print_json_or_text(bool json, const a2w::env::Dict& dict, const std::string& text) {
  if (json)
    std::cout << a2w::env::to_json(dict) << std::endl;
  else
    std::cout << text << std::flush;
}

a2w::env::Dict image_options(const Command& c) {
  a2w::env::Dict o;
  o["image_size"] = static_cast<std::int64_t>(c.get_int("image-size", 8, 1024));
  if (c.flag_set("state-only")) o["render"] = false;
  return o;
}

int cmd_tasks(const Args& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::cout << "usage: a2w tasks list [--json] | a2w tasks show ID [--json]\n";
    return args.empty() ? 2 : 0;
  }
  a2w::tasks::register_tasks();
  const Args rest(args.begin() + 1, args.end());
  if (args[0] == "list") {
    Command c("tasks list", "List the registered task ids with one line each.");
    c.flag("json", "print one JSON object");
    if (!c.parse(rest)) return 0;
    a2w::env::List ids;
    std::ostringstream text;
    for (const auto& id : a2w::registered_ids()) {
      const auto& reg = a2w::registration(id);
      ids.emplace_back(a2w::env::Dict{{"id", id}, {"description", reg.description}});
      text << id << std::string(id.size() < 28 ? 28 - id.size() : 1, ' ') << reg.description << "\n";
    }
    print_json_or_text(c.flag_set("json"), a2w::env::Dict{{"tasks", ids}}, text.str());
    return 0;
  }
  if (args[0] == "show") {
    Command c("tasks show ID", "Describe one task.");
    c.positional("ID", "task id, e.g. a2w/LiftCube-v0").flag("json", "print one JSON object");
    if (!c.parse(rest)) return 0;
    const auto info = a2w::tasks::describe_task(c.get("ID"));
    auto list = [](const std::vector<std::string>& v) {
      a2w::env::List l;
      for (const auto& s : v) l.emplace_back(s);
      return l;
    };
    const a2w::env::Dict dict{{"id", info.id},
                              {"name", info.name},
                              {"description", info.description},
                              {"file", info.file},
                              {"horizon", info.horizon},
                              {"instructions", list(info.instruction_templates)},
                              {"objects", list(info.objects)},
                              {"fixtures", list(info.fixtures)},
                              {"success", info.success},
                              {"reward", list(info.reward)},
                              {"expert", list(info.expert)},
                              {"cameras", list(info.cameras)}};
    std::ostringstream text;
    text << info.id << ": " << info.description << "\n  file     " << info.file << "\n  horizon  " << info.horizon
         << " steps (20 Hz)\n  success  " << info.success << "\n";
    auto section = [&](const char* title, const std::vector<std::string>& v) {
      if (v.empty()) return;
      text << "  " << title << "\n";
      for (const auto& s : v) text << "    " << s << "\n";
    };
    section("instructions", info.instruction_templates);
    section("objects", info.objects);
    section("fixtures", info.fixtures);
    section("reward", info.reward);
    section("expert", info.expert);
    section("cameras", info.cameras);
    print_json_or_text(c.flag_set("json"), dict, text.str());
    return 0;
  }
  throw UsageError("unknown verb 'tasks " + args[0] + "'; expected 'tasks list' or 'tasks show ID'");
}

int cmd_rollout(const Args& args) {
  Command c("rollout --task ID [options]", "Run a policy on a task and report success rate and mean return.");
  c.option("task", "ID", "task id (a2w tasks list)", "", true)
      .option("policy", "NAME", "expert | random", "expert")
      .option("noise", "STD", "expert action noise (Gaussian std on [-1, 1] actions)", "0")
      .option("episodes", "N", "episodes", "10")
      .option("seed", "S", "base seed; episode k starts from episode_seed(S, k, 0)", "0")
      .option("num-envs", "N", "envs stepped together (0: min(episodes, 8))", "0")
      .option("threads", "N", "worker threads (0: one per core)", "0")
      .option("image-size", "PX", "camera width and height", "128")
      .flag("state-only", "no cameras (much faster; video needs cameras)")
      .option("video", "FILE", "write an mp4 of the first episodes, cameras side by side")
      .option("video-episodes", "N", "episodes in the video", "1")
      .option("record", "FILE", "record every episode into an HDF5 file (LIBERO/robomimic layout)")
      .flag("overwrite", "replace existing --video/--record files")
      .flag("json", "print one JSON object")
      .flag("quiet", "no progress bar");
  if (!c.parse(args)) return 0;
  a2w::bench::RolloutJob job;
  job.task = c.get("task");
  job.policy = c.get("policy");
  job.noise = c.get_double("noise");
  job.episodes = c.get_int("episodes", 1, 1000000);
  job.seed = c.get_u64("seed");
  job.num_envs = static_cast<int>(c.get_int("num-envs", 0, 4096));
  job.num_threads = static_cast<int>(c.get_int("threads", 0, 1024));
  job.env_options = image_options(c);
  job.video = c.get("video");
  job.video_episodes = c.get_int("video-episodes", 1, 1000000);
  job.record = c.get("record");
  job.overwrite = c.flag_set("overwrite");
  job.progress = !c.flag_set("quiet");
  const auto report = a2w::bench::run_rollout(job);
  print_json_or_text(c.flag_set("json"), report.to_dict(), report.to_text());
  return 0;
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

int cmd_collect(const Args& args) {
  Command c("collect --out DIR [options]",
            "Run the scripted experts of many tasks at several noise levels and record every episode.");
  c.option("out", "DIR", "dataset folder", "", true)
      .option("tasks", "ID,ID", "task ids (default: every built-in a2w/ task)")
      .option("episodes", "N", "episodes per task and noise level", "50")
      .option("noise", "A,B", "expert noise levels", "0,0.1,0.3")
      .option("seed", "S", "base seed", "0")
      .option("image-size", "PX", "camera width and height", "64")
      .flag("state-only", "no cameras")
      .option("num-envs", "N", "envs stepped together (0: 2 x cores)", "0")
      .option("threads", "N", "worker threads (0: one per core)", "0")
      .option("episodes-per-file", "N", "episodes per HDF5 file", "50")
      .flag("overwrite", "replace existing files")
      .flag("json", "print one JSON object")
      .flag("quiet", "no progress bar");
  if (!c.parse(args)) return 0;
  a2w::bench::CollectJob job;
  job.out = c.get("out");
  job.tasks = split(c.get("tasks"));
  job.episodes = c.get_int("episodes", 1, 10000000);
  job.noise_levels.clear();
  for (const auto& n : split(c.get("noise"))) {
    char* end = nullptr;
    const double v = std::strtod(n.c_str(), &end);
    if (*end != '\0') throw UsageError("--noise expects numbers separated by commas, got '" + n + "'");
    job.noise_levels.push_back(v);
  }
  job.seed = c.get_u64("seed");
  job.env_options = image_options(c);
  job.num_envs = static_cast<int>(c.get_int("num-envs", 0, 4096));
  job.num_threads = static_cast<int>(c.get_int("threads", 0, 1024));
  job.episodes_per_file = c.get_int("episodes-per-file", 1, 1000000);
  job.overwrite = c.flag_set("overwrite");
  job.progress = !c.flag_set("quiet");
  const auto report = a2w::bench::collect(job);
  print_json_or_text(c.flag_set("json"), report.to_dict(), report.to_text());
  return 0;
}

int cmd_doctor(const Args& args) {
  Command c("doctor", "Check what this machine gives a2w: rendering, BLAS, tools.");
  c.flag("json", "print one JSON object");
  if (!c.parse(args)) return 0;
  const auto r = a2w::bench::doctor();
  print_json_or_text(c.flag_set("json"), r.to_dict(), r.to_text());
  return r.render_ok ? 0 : 1;
}

int cmd_bench(const Args& args) {
  if (args.empty() || args[0] != "env") {
    std::cout << "usage: a2w bench env [options]\n";
    return args.empty() || args[0] == "--help" ? 0 : 2;
  }
  Command c("bench env [options]", "VectorEnv steps/s beside a raw mj_step loop and a raw render loop.");
  c.option("task", "ID", "task id", "a2w/LiftCube-v0")
      .option("image-size", "PX", "camera width and height", "64")
      .option("num-envs", "N", "envs in the thread-scaling runs", "4")
      .option("seconds", "S", "seconds per measurement and round", "1")
      .option("rounds", "N", "alternating rounds; medians are reported", "3")
      .flag("json", "print one JSON object")
      .flag("quiet", "no progress lines");
  if (!c.parse(Args(args.begin() + 1, args.end()))) return 0;
  a2w::bench::EnvBenchOptions o;
  o.task = c.get("task");
  o.image_size = static_cast<int>(c.get_int("image-size", 8, 1024));
  o.num_envs = static_cast<int>(c.get_int("num-envs", 1, 1024));
  o.seconds = c.get_double("seconds");
  o.rounds = static_cast<int>(c.get_int("rounds", 1, 100));
  o.progress = !c.flag_set("quiet");
  const auto r = a2w::bench::bench_env(o);
  print_json_or_text(c.flag_set("json"), r.to_dict(), r.to_text());
  return 0;
}

int cmd_demo(const Args& args) {
  Command c("demo", "The physics demo: the scripted expert and a random policy on a few tasks.");
  c.option("episodes", "N", "episodes per task and policy", "10")
      .option("video", "FILE", "mp4 of the expert's first episode on the first task", "")
      .flag("json", "print one JSON object")
      .flag("quiet", "no progress bars");
  if (!c.parse(args)) return 0;
  a2w::env::List rows;
  std::ostringstream text;
  text << "a2w physics demo: success rate over " << c.get("episodes") << " episodes per task\n";
  text << "task                         expert   random\n";
  bool first = true;
  for (const char* task : {"a2w/LiftCube-v0", "a2w/PickPlaceBin-v0", "a2w/OpenDrawer-v0"}) {
    double rates[2] = {0, 0};
    for (int p = 0; p < 2; ++p) {
      a2w::bench::RolloutJob job;
      job.task = task;
      job.policy = p == 0 ? "expert" : "random";
      job.episodes = c.get_int("episodes", 1, 100000);
      job.env_options = {{"image_size", 64}};
      if (p == 0 && first && c.has("video")) {
        job.video = c.get("video");
        job.overwrite = true;
      }
      job.progress = !c.flag_set("quiet");
      rates[p] = a2w::bench::run_rollout(job).summary.success_rate;
    }
    first = false;
    rows.emplace_back(a2w::env::Dict{{"task", task}, {"expert", rates[0]}, {"random", rates[1]}});
    char line[128];
    std::snprintf(line, sizeof line, "%-28s %6.2f   %6.2f\n", task, rates[0], rates[1]);
    text << line;
  }
  print_json_or_text(c.flag_set("json"), a2w::env::Dict{{"demo", rows}}, text.str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  a2w::tasks::install_mujoco_error_handlers();
  Args args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::cout << kUsage;
    return args.empty() ? 2 : 0;
  }
  const std::string verb = args[0];
  const Args rest(args.begin() + 1, args.end());
  try {
    if (verb == "tasks") return cmd_tasks(rest);
    if (verb == "rollout") return cmd_rollout(rest);
    if (verb == "collect") return cmd_collect(rest);
    if (verb == "doctor") return cmd_doctor(rest);
    if (verb == "bench") return cmd_bench(rest);
    if (verb == "demo") return cmd_demo(rest);
    throw UsageError("unknown verb '" + verb + "'; expected one of: demo, tasks, rollout, collect, doctor, bench");
  } catch (const UsageError& e) {
    std::cerr << "a2w: " << e.what() << "\n(see a2w " << verb << " --help)\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "a2w: error: " << e.what() << "\n";
    return 1;
  }
}
