// a2w: the command-line tool. Argument parsing only: every verb calls a library function (a2w::bench::...,
// a2w::tasks::...) that a C++ user can call directly.

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "a2w/bench/bridge_bench.h"
#include "a2w/bench/collect.h"
#include "a2w/bench/correlation.h"
#include "a2w/bench/doctor.h"
#include "a2w/bench/env_bench.h"
#include "a2w/bench/evaluation.h"
#include "a2w/bench/rollout_job.h"
#include "a2w/bench/whatif.h"
#include "a2w/bench/wm_bench.h"
#include "a2w/bridge/security.h"
#include "a2w/bridge/serve.h"
#include "a2w/env/atomic_file.h"
#include "a2w/env/json.h"
#include "a2w/env/registry.h"
#include "a2w/tasks/mujoco_boundary.h"
#include "a2w/tasks/png.h"
#include "a2w/tasks/preview.h"
#include "a2w/tasks/task_template.h"
#include "a2w/tasks/tasks.h"
#include "a2w/tasks/validate.h"
#include "a2w/wm/a2world.h"
#include "a2w/wm/export.h"
#include "a2w/wm/fidelity_eval.h"
#include "a2w/wm/register_sim.h"
#include "a2w/wm/rendezvous.h"
#include "a2w/wm/threads.h"
#include "a2w/wm/train.h"
#include "args.h"

// `a2w policy ...` (apps/cmd_policy.cpp).
int cmd_policy(const std::vector<std::string>& args);

namespace {

using a2w::cli::Command;
using a2w::cli::UsageError;
using Args = std::vector<std::string>;

constexpr const char* kUsage = R"(usage: a2w <verb> [options]      (a2w <verb> --help for each verb's options)

  demo                 run the expert and a random policy on a few tasks and print success rates
  tasks list           list task ids (built-in and A2W_TASK_PATH folders)
  tasks show ID        describe a task: objects, fixtures, success predicate, instructions, cameras
  tasks new NAME       write a commented starting task file
  tasks validate FILE  check task files: every problem with file:line:column
  tasks preview FILE   render both cameras at a few seeds into a PNG contact sheet
  rollout              run a policy on a task, in physics or A2World-sim: success rate, return; video, HDF5
  collect              run scripted experts on many tasks and noise levels into one dataset folder
  doctor               check rendering (GL vendor, ms/frame), BLAS, ffmpeg and Python modules
  bench env            VectorEnv throughput beside raw mj_step and raw render loops
  bench wm             A2World-sim imagined steps/s at several batch sizes beside the physics env
  bench bridge         bridge round trips (state step, 2 cameras, Python) beside raw ZeroMQ and websockets
  wm pretrain          pretrain A2World (the world model) on recorded episodes of many tasks
  wm adapt             fine-tune a pretrained A2World to one task: A2World-sim
  wm export            write an inference checkpoint (EMA weights, float16) from a training checkpoint
  wm eval              fidelity on held-out episodes: open-loop replay beside copy-last and erase baselines
  eval                 paired evaluation: policies x tasks x fixed seeds in physics and A2World-sim (JSON Lines)
  correlate            imagined vs physics success from eval results: metrics with intervals, CSV, HTML
  whatif               perturbations of a task (its file's `perturbations`): success change in both backends
  policy train         train a policy (--kind bc: behaviour cloning) on recorded episodes; runs in both sims
  policy zoo           a population of policies from early to converged, with noise variants, and a manifest
  serve policy         serve a policy to other processes (ZeroMQ; OpenPI websocket with --openpi)
  serve env            serve a task (physics or A2World-sim) to other processes, e.g. Python clients

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
  o["image_size"] = c.get("image-size").empty() ? std::int64_t{128}
                                                : static_cast<std::int64_t>(c.get_int("image-size", 8, 1024));
  if (c.flag_set("state-only")) o["render"] = false;
  return o;
}

// Splits `a2w tasks validate A.yaml B.yaml --seeds 2` into files and options (the parser takes one
// positional per name; validate takes any number of files).
void split_files(const Args& args, const std::vector<std::string>& valued, Args& files, Args& options) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.rfind("--", 0) != 0 || a == "--") {
      files.push_back(a);
      continue;
    }
    options.push_back(a);
    const std::string name = a.substr(2);
    if (std::find(valued.begin(), valued.end(), name) != valued.end() && i + 1 < args.size())
      options.push_back(args[++i]);
  }
}

std::vector<std::uint64_t> parse_seeds(const std::string& s) {
  std::vector<std::uint64_t> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');) {
    char* end = nullptr;
    const unsigned long long v = std::strtoull(item.c_str(), &end, 10);
    if (item.empty() || item[0] == '-' || *end != '\0')
      throw UsageError("--seeds expects non-negative integers separated by commas, got '" + s + "'");
    out.push_back(v);
  }
  if (out.empty()) throw UsageError("--seeds expects at least one seed, got '" + s + "'");
  return out;
}

int cmd_tasks_new(const Args& rest) {
  Command c(
      "tasks new NAME [--dir DIR | --out FILE]",
      "Write a commented starting task file (a cube to put on a green square) that validates and runs.");
  c.positional("NAME", "task name, an identifier such as PlateCube (the id becomes user/NAME-v0)")
      .option("dir", "DIR", "folder to write <name>.yaml into (e.g. one of A2W_TASK_PATH)", ".")
      .option("out", "FILE", "exact file path instead of --dir")
      .flag("overwrite", "replace an existing file");
  if (!c.parse(rest)) return 0;
  const std::string where = c.get("out").empty() ? c.get("dir") : c.get("out");
  const std::string path = a2w::tasks::write_task_template(c.get("NAME"), where, c.flag_set("overwrite"));
  std::cout << "wrote " << path << "\nnext: a2w tasks validate " << path << "\n      a2w tasks preview "
            << path << "\n      A2W_TASK_PATH=" << std::filesystem::absolute(path).parent_path().string()
            << " a2w rollout --task user/" << c.get("NAME") << "-v0 --policy expert --state-only\n";
  return 0;
}

int cmd_tasks_validate(const Args& rest) {
  Command c(
      "tasks validate FILE... [options]",
      "Check task files: schema, references into the compiled scene and the models it includes, ranges, "
      "predicates; then reset a few seeds. Prints every problem as file:line:column: message.");
  c.option("seeds", "N", "initial states to check by resetting (0: do not run the task)", "3")
      .option("expert", "N", "also run the scripted expert on N seeds and report its success rate", "0")
      .flag("json", "print one JSON object")
      .flag("quiet", "only problems, no summary lines");
  Args files, options;
  split_files(rest, {"seeds", "expert"}, files, options);
  if (!c.parse(options)) return 0;
  if (files.empty()) throw UsageError("tasks validate expects one or more task files (FILE...), got none");
  a2w::tasks::ValidationOptions vo;
  vo.seeds = static_cast<int>(c.get_int("seeds", 0, 1000));
  vo.expert_episodes = static_cast<int>(c.get_int("expert", 0, 100000));
  a2w::env::List results;
  std::ostringstream text;
  int failed = 0;
  for (const auto& f : files) {
    const auto r = a2w::tasks::validate_task_file(f, vo);
    failed += !r.ok();
    a2w::env::List diags;
    for (const auto& d : r.diagnostics) {
      text << d.str() << "\n";
      diags.emplace_back(a2w::env::Dict{{"severity", d.is_error() ? "error" : "warning"},
                                        {"file", d.loc.file},
                                        {"line", d.loc.line},
                                        {"column", d.loc.column},
                                        {"message", d.message}});
    }
    a2w::env::Dict row{{"file", f},
                       {"ok", r.ok()},
                       {"errors", r.errors()},
                       {"warnings", r.warnings()},
                       {"make_seconds", r.make_seconds},
                       {"diagnostics", diags}};
    if (r.expert_success) row["expert_success"] = *r.expert_success;
    results.emplace_back(std::move(row));
    if (!c.flag_set("quiet")) {
      text << f << ": " << (r.ok() ? "ok" : "invalid") << " (" << r.errors() << " error"
           << (r.errors() == 1 ? "" : "s") << ", " << r.warnings() << " warning"
           << (r.warnings() == 1 ? "" : "s");
      if (r.ok()) text << "; make " << static_cast<int>(r.make_seconds * 1000 + 0.5) << " ms";
      if (r.expert_success)
        text << "; expert " << static_cast<int>(*r.expert_success * 100 + 0.5) << " % of "
             << vo.expert_episodes;
      text << ")\n";
    }
  }
  print_json_or_text(c.flag_set("json"), a2w::env::Dict{{"files", results}, {"invalid", failed}}, text.str());
  return failed ? 1 : 0;
}

int cmd_tasks_preview(const Args& rest) {
  Command c("tasks preview FILE [options]",
            "Render both cameras of a task at a few seeds into one PNG contact sheet (a row per seed).");
  c.positional("FILE", "task file")
      .option("seeds", "A,B,C", "seeds, one row each", "0,1,2")
      .option("out", "FILE", "PNG to write (default: <task file name>_preview.png here)")
      .option("image-size", "PX", "camera width and height", "160")
      .flag("no-shadows", "render as the training data does (faster)")
      .flag("json", "print one JSON object");
  if (!c.parse(rest)) return 0;
  a2w::tasks::PreviewOptions o;
  o.seeds = parse_seeds(c.get("seeds"));
  o.image_size = static_cast<int>(c.get_int("image-size", 16, 1024));
  o.shadows = !c.flag_set("no-shadows");
  o.out = c.get("out");
  if (o.out.empty()) o.out = std::filesystem::path(c.get("FILE")).stem().string() + "_preview.png";
  const auto r = a2w::tasks::preview_task(c.get("FILE"), o);
  std::ostringstream text;
  text << "wrote " << r.out << " (" << r.width << "x" << r.height << ", " << o.seeds.size()
       << (o.seeds.size() == 1 ? " seed)\n" : " seeds)\n");
  print_json_or_text(c.flag_set("json"),
                     a2w::env::Dict{{"out", r.out}, {"width", r.width}, {"height", r.height}}, text.str());
  return 0;
}

int cmd_tasks(const Args& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::cout << "usage: a2w tasks list [--json] | show ID [--json] [--mjcf] | new NAME | validate FILE... | "
                 "preview FILE\n";
    return args.empty() ? 2 : 0;
  }
  const Args rest(args.begin() + 1, args.end());
  if (args[0] == "new") return cmd_tasks_new(rest);
  if (args[0] == "validate") return cmd_tasks_validate(rest);
  if (args[0] == "preview") return cmd_tasks_preview(rest);
  a2w::tasks::register_tasks();
  if (args[0] == "list") {
    Command c("tasks list", "List the registered task ids with one line each.");
    c.flag("json", "print one JSON object");
    if (!c.parse(rest)) return 0;
    for (const auto& w : a2w::tasks::find_task_files().warnings) std::cerr << "a2w: warning: " << w << "\n";
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
    c.positional("ID", "task id, e.g. a2w/LiftCube-v0")
        .flag("json", "print one JSON object")
        .flag("mjcf", "print the generated MuJoCo scene (MJCF) instead");
    if (!c.parse(rest)) return 0;
    if (c.flag_set("mjcf")) {
      std::cout << a2w::tasks::task_mjcf(c.get("ID"));
      return 0;
    }
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
                              {"includes", list(info.includes)},
                              {"robot", info.robot},
                              {"success", info.success},
                              {"reward", list(info.reward)},
                              {"expert", list(info.expert)},
                              {"cameras", list(info.cameras)},
                              {"perturbations", list(info.perturbations)}};
    std::ostringstream text;
    text << info.id << ": " << info.description << "\n  file     " << info.file << "\n  horizon  "
         << info.horizon << " steps (20 Hz)\n  success  " << info.success << "\n";
    auto section = [&](const char* title, const std::vector<std::string>& v) {
      if (v.empty()) return;
      text << "  " << title << "\n";
      for (const auto& s : v) text << "    " << s << "\n";
    };
    section("instructions", info.instruction_templates);
    section("objects", info.objects);
    section("fixtures", info.fixtures);
    section("includes", info.includes);
    section("robot", {info.robot});
    section("reward", info.reward);
    section("expert", info.expert);
    section("cameras", info.cameras);
    section("perturbations", info.perturbations);
    print_json_or_text(c.flag_set("json"), dict, text.str());
    return 0;
  }
  throw UsageError("unknown verb 'tasks " + args[0] +
                   "'; expected tasks list, show ID, new NAME, validate FILE... or preview FILE");
}

int cmd_rollout(const Args& args) {
  Command c("rollout --task ID [options]", "Run a policy on a task and report success rate and mean return.");
  c.option("task", "ID", "task id (a2w tasks list); a2w-sim/<Task>-v0 runs in A2World-sim", "", true)
      .option("sim", "KIND", "physics | wm (A2World-sim, the world model imagines every frame)", "physics")
      .option("checkpoint", "FILE", "wm: a2w checkpoint or TorchScript module (default: the shipped one)")
      .option("device", "DEV", "cpu | cuda: A2World-sim's and a policy file's network", "cpu")
      .option("policy", "NAME",
              "expert | random | a policy file (.a2wp, TorchScript .pt) | zmq://HOST:PORT | "
              "openpi://HOST:PORT (remote; "
              "options: docs/bridge-protocol.md) "
              "(wm: expert needs physics)",
              "expert")
      .option("noise", "STD", "action noise (Gaussian std on [-1, 1] actions)", "0")
      .option("episodes", "N", "episodes", "10")
      .option("seed", "S", "base seed; episode k starts from episode_seed(S, k, 0)", "0")
      .option("num-envs", "N", "envs stepped together (0: min(episodes, 8))", "0")
      .option("threads", "N", "worker threads, or LibTorch threads in A2World-sim (0: one per core)", "0")
      .option("image-size", "PX", "camera width and height (default 128; wm: the model's)")
      .option("perturbation", "NAME", "a variant the task file declares (a2w tasks show ID lists them)")
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
  job.sim = c.get("sim");
  job.checkpoint = c.get("checkpoint");
  job.device = c.get("device");
  job.policy = c.get("policy");
  job.noise = c.get_double("noise");
  job.episodes = c.get_int("episodes", 1, 1000000);
  job.seed = c.get_u64("seed");
  job.num_envs = static_cast<int>(c.get_int("num-envs", 0, 4096));
  job.num_threads = static_cast<int>(c.get_int("threads", 0, 1024));
  // A world model imagines one image size, so in A2World-sim the size is only passed when asked for.
  const bool imagined = job.sim == "wm" || a2w::wm::is_sim_id(job.task);
  if (imagined) {
    if (c.flag_set("state-only"))
      throw UsageError("--state-only: A2World-sim imagines camera frames; drop it");
    if (!c.get("image-size").empty())
      job.env_options["image_size"] = static_cast<std::int64_t>(c.get_int("image-size", 8, 1024));
  } else {
    job.env_options = image_options(c);
  }
  if (!c.get("perturbation").empty()) job.env_options["perturbation"] = c.get("perturbation");
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

std::vector<std::string> split(const std::string& s);

int cmd_bench_wm(const Args& args) {
  Command c("bench wm [options]",
            "A2World-sim imagined env steps/s (both views) at several batch sizes, beside the physics env's "
            "steps/s rendering at the same size, measured in the same run.");
  c.option("task", "ID", "physics task imagined and measured", "a2w/LiftCube-v0")
      .option("checkpoint", "FILE", "a2w checkpoint or TorchScript module (default: the shipped one)")
      .option("config", "PRESET",
              "instead of a checkpoint: tiny | cpu | gpu with random weights (speed only)")
      .option("device", "DEV", "cpu | cuda", "cpu")
      .option("threads", "N", "LibTorch threads (0: one per core)", "0")
      .option("precision", "P", "matrix products: auto | float32 | bfloat16", "auto")
      .option("batches", "A,B", "batch sizes", "1,16,64")
      .option("seconds", "S", "seconds per measurement and round", "2")
      .option("rounds", "N", "alternating rounds; medians are reported", "3")
      .flag("json", "print one JSON object")
      .flag("quiet", "no progress lines");
  if (!c.parse(args)) return 0;
  a2w::bench::WmBenchOptions o;
  o.task = c.get("task");
  o.checkpoint = c.get("checkpoint");
  o.config = c.get("config");
  o.device = c.get("device");
  o.threads = static_cast<int>(c.get_int("threads", 0, 1024));
  o.precision = c.get("precision");
  o.batches.clear();
  for (const auto& b : split(c.get("batches"))) {
    char* end = nullptr;
    const long v = std::strtol(b.c_str(), &end, 10);
    if (*end != '\0' || v < 1 || v > 65536)
      throw UsageError("--batches expects positive integers separated by commas, got '" + b + "'");
    o.batches.push_back(static_cast<int>(v));
  }
  o.seconds = c.get_double("seconds");
  o.rounds = static_cast<int>(c.get_int("rounds", 1, 100));
  o.progress = !c.flag_set("quiet");
  const auto r = a2w::bench::bench_wm(o);
  print_json_or_text(c.flag_set("json"), r.to_dict(), r.to_text());
  return 0;
}

int cmd_bench_bridge(const Args& args) {
  Command c(
      "bench bridge [options]",
      "Round trips through the bridge (a state-only env step; a 2-camera 224x224 observation with a (10, 7) "
      "action reply; the Python client) beside raw ZeroMQ ping-pong and a Python OpenPI-style websocket "
      "round trip of the same bytes, measured in the same run.");
  c.option("count", "N", "round trips per measurement and round", "1000")
      .option("rounds", "N", "alternating rounds; percentiles are over all of them", "5")
      .flag("no-python", "skip the Python client and the websocket baseline")
      .option("python", "EXE", "Python with pyzmq, msgpack, numpy and websockets", "/usr/bin/python3")
      .flag("json", "print one JSON object")
      .flag("quiet", "no progress lines");
  if (!c.parse(args)) return 0;
  a2w::bench::BridgeBenchOptions o;
  o.count = static_cast<int>(c.get_int("count", 10, 10000000));
  o.rounds = static_cast<int>(c.get_int("rounds", 1, 1000));
  o.python = !c.flag_set("no-python");
  o.python_exe = c.get("python");
  o.progress = !c.flag_set("quiet");
  const auto r = a2w::bench::bench_bridge(o);
  print_json_or_text(c.flag_set("json"), r.to_dict(), r.to_text());
  return 0;
}

// The options every `serve` verb shares: where to listen and how big a message may be.
void server_options(Command& c, const char* bind) {
  c.option("bind", "ENDPOINT", "ZeroMQ endpoint (port 0: any free port); non-loopback needs --curve-keys",
           bind)
      .option("curve-keys", "DIR",
              "CURVE keys (DIR/server.public, server.secret; made when absent; optional "
              "DIR/authorized_clients)")
      .option("max-message-mb", "MB", "largest message accepted", "64")
      .option("image-size", "PX", "camera width and height", "128")
      .flag("state-only", "no cameras");
}

int cmd_serve(const Args& args) {
  if (args.empty() || (args[0] != "policy" && args[0] != "env")) {
    std::cout << "usage: a2w serve policy --task ID [options] | a2w serve env --task ID [options]\n";
    return args.empty() || args[0] == "--help" || args[0] == "-h" ? (args.empty() ? 2 : 0) : 2;
  }
  a2w::tasks::register_tasks();
  a2w::wm::register_sim_envs();
  const Args rest(args.begin() + 1, args.end());
  if (args[0] == "policy") {
    Command c("serve policy --task ID [options]",
              "Serve a policy over ZeroMQ (a2w rollout --policy zmq://HOST:PORT, a2w_bridge.RemotePolicy) "
              "and, with "
              "--openpi, over OpenPI's websocket protocol (openpi-client's WebsocketClientPolicy). Stops on "
              "SIGINT/SIGTERM.");
    c.option("task", "ID", "task whose spaces the policy works in", "", true)
        .option("policy", "NAME",
                "expert (served per client through a shadow env that follows its episodes) | random",
                "random")
        .option("noise", "STD", "expert action noise", "0")
        .option("seed", "S", "policy seed", "0")
        .option("openpi", "[HOST:]PORT", "also serve the OpenPI websocket protocol there (HOST: 127.0.0.1)")
        .flag("openpi-allow-remote", "let --openpi bind beyond loopback (the websocket is not encrypted)")
        .option("openpi-keys", "MAP", "rename OpenPI observation keys: libero | none", "libero")
        .option("max-batch", "N", "rows of one act() call across concurrent clients", "64")
        .option("max-wait-ms", "MS", "how long an idle policy waits for more requests to batch", "0");
    server_options(c, "tcp://127.0.0.1:5555");
    if (!c.parse(rest)) return 0;
    a2w::bridge::ServePolicyJob job;
    job.task = c.get("task");
    job.policy_name = c.get("policy");
    if (job.policy_name != "expert" && job.policy_name != "random")
      throw UsageError("--policy: expected expert or random, got '" + job.policy_name + "'");
    const double noise = c.get_double("noise");
    const auto seed = c.get_u64("seed");
    const std::string name = job.policy_name;
    job.make_policy = [name, noise, seed](a2w::env::VectorEnv& envs) {
      return a2w::bench::make_policy(name, envs, noise, seed);
    };
    job.privileged = name == "expert";
    job.env_options = image_options(c);
    job.server.bind = c.get("bind");
    job.server.curve_keys_dir = c.get("curve-keys");
    job.server.openpi = c.get("openpi");
    job.server.openpi_allow_remote = c.flag_set("openpi-allow-remote");
    job.server.openpi_key_map = a2w::bridge::parse_key_map(c.get("openpi-keys"));
    job.server.max_message_bytes = static_cast<std::size_t>(c.get_int("max-message-mb", 1, 4096)) << 20;
    job.server.max_batch = static_cast<int>(c.get_int("max-batch", 1, 65536));
    job.server.max_wait_ms = c.get_double("max-wait-ms");
    const std::string keys = c.get("curve-keys");
    job.on_ready = [&job, keys](const a2w::bridge::PolicyServer& s) {
      std::cout << "a2w serve policy: serving '" << job.policy_name << "' for " << job.task << " on "
                << s.endpoint() << "\n";
      if (!s.openpi_endpoint().empty())
        std::cout << "a2w serve policy: OpenPI websocket on " << s.openpi_endpoint() << "\n";
      if (!keys.empty())
        std::cout << "a2w serve policy: CURVE server key "
                  << a2w::bridge::load_server_keys(keys).server.public_key
                  << " (clients: zmq://HOST:PORT?server_key=KEY)\n";
      std::cout << std::flush;
    };
    a2w::bridge::serve_policy(job);
    return 0;
  }
  Command c("serve env --task ID [options]",
            "Serve a task to other processes over ZeroMQ: each client session (a2w_bridge.RemoteEnv, "
            "a2w::bridge::RemoteEnv) gets its own env. Stops on SIGINT/SIGTERM.");
  c.option("task", "ID", "task id (a2w tasks list); a2w-sim/<Task>-v0 or --sim wm for A2World-sim", "", true)
      .option("sim", "KIND", "physics | wm (one batched A2World-sim VectorEnv per session)", "physics")
      .option("checkpoint", "FILE", "wm: a2w checkpoint or TorchScript module (default: the shipped one)")
      .option("device", "DEV", "wm: cpu | cuda", "cpu")
      .option("num-envs", "N", "envs per session (> 1: a VectorEnv, batched replies)", "1")
      .option("threads", "N", "threads of each session's VectorEnv", "1")
      .option("autoreset", "MODE", "VectorEnv autoreset: NEXT_STEP | SAME_STEP | DISABLED", "NEXT_STEP")
      .option("max-sessions", "N", "clients served at once", "8")
      .option("session-timeout", "S", "a silent client loses its session after this long", "60");
  server_options(c, "tcp://127.0.0.1:5556");
  if (!c.parse(rest)) return 0;
  a2w::bridge::ServeEnvJob job;
  job.task = c.get("task");
  job.num_envs = static_cast<int>(c.get_int("num-envs", 1, 4096));
  job.num_threads = static_cast<int>(c.get_int("threads", 0, 1024));
  job.autoreset = a2w::env::parse_autoreset_mode(c.get("autoreset"));
  const std::string sim = c.get("sim");
  if (sim != "physics" && sim != "wm") throw UsageError("--sim: expected physics or wm, got '" + sim + "'");
  if (sim == "wm" || a2w::wm::is_sim_id(job.task)) {
    a2w::env::Dict options;
    if (!c.get("checkpoint").empty()) options["checkpoint"] = c.get("checkpoint");
    if (c.get("device") != "cpu") options["device"] = c.get("device");
    const std::string task = job.task;
    const int n = job.num_envs;
    const auto mode = job.autoreset;
    job.make_vector = [task, options, n, mode] {
      return a2w::wm::make_sim_vector_env(task, options, n, mode);
    };
  } else {
    job.env_options = image_options(c);
  }
  job.server.bind = c.get("bind");
  job.server.curve_keys_dir = c.get("curve-keys");
  job.server.max_message_bytes = static_cast<std::size_t>(c.get_int("max-message-mb", 1, 4096)) << 20;
  job.server.max_sessions = static_cast<int>(c.get_int("max-sessions", 1, 4096));
  job.server.session_timeout_s = c.get_double("session-timeout");
  const std::string keys = c.get("curve-keys");
  job.on_ready = [&job, keys](const a2w::bridge::EnvServer& s) {
    std::cout << "a2w serve env: serving " << job.task << " on " << s.endpoint() << "\n";
    if (!keys.empty())
      std::cout << "a2w serve env: CURVE server key " << a2w::bridge::load_server_keys(keys).server.public_key
                << "\n";
    std::cout << std::flush;
  };
  a2w::bridge::serve_env(job);
  return 0;
}

int cmd_bench(const Args& args) {
  if (!args.empty() && args[0] == "wm") return cmd_bench_wm(Args(args.begin() + 1, args.end()));
  if (!args.empty() && args[0] == "bridge") return cmd_bench_bridge(Args(args.begin() + 1, args.end()));
  if (args.empty() || args[0] != "env") {
    std::cout << "usage: a2w bench env [options] | a2w bench wm [options] | a2w bench bridge [options]\n";
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
  Command c(
      "demo",
      "The main job: the scripted expert and a random policy on a few tasks in physics, and the same random "
      "policy in A2World-sim (the shipped default world model) from the same seeds, side by side.");
  c.option("episodes", "N", "episodes per task, policy and simulator", "10")
      .option("checkpoint", "CKPT",
              "world model for A2World-sim (default: the shipped models/a2world-default.a2wm)")
      .option("video", "FILE", "mp4 of the expert's first episode on the first task", "")
      .flag("json", "print one JSON object")
      .flag("quiet", "no progress bars");
  if (!c.parse(args)) return 0;
  const std::string checkpoint = c.has("checkpoint") ? c.get("checkpoint") : a2w::wm::default_checkpoint();
  const bool with_wm = !checkpoint.empty() && std::filesystem::exists(checkpoint);
  const std::int64_t episodes = c.get_int("episodes", 1, 100000);
  a2w::env::List rows;
  std::ostringstream text;
  text << "a2w demo: success rate (mean return) over " << episodes << " episodes per task, seeds 0.."
       << episodes - 1 << "\n";
  text << "task                      expert/physics    random/physics    random/A2World-sim\n";
  bool first = true;
  for (const char* task : {"a2w/LiftCube-v0", "a2w/PickPlaceBin-v0", "a2w/OpenDrawer-v0"}) {
    auto run = [&](const std::string& policy, const std::string& sim) {
      a2w::bench::RolloutJob job;
      job.task = task;
      job.policy = policy;
      job.sim = sim;
      job.episodes = episodes;
      if (sim == "wm") {
        job.checkpoint = checkpoint;
      } else {
        job.env_options = {{"image_size", 64}};
      }
      if (policy == "expert" && first && c.has("video")) {
        job.video = c.get("video");
        job.overwrite = true;
      }
      job.progress = !c.flag_set("quiet");
      return a2w::bench::run_rollout(job).summary;
    };
    const auto expert = run("expert", "physics");
    const auto random = run("random", "physics");
    a2w::env::Dict row{{"task", task},
                       {"expert_physics", expert.success_rate},
                       {"random_physics", random.success_rate},
                       {"random_physics_return", random.mean_return}};
    char line[256];
    if (with_wm) {
      const auto imagined = run("random", "wm");
      row["random_wm"] = imagined.success_rate;
      row["random_wm_return"] = imagined.mean_return;
      std::snprintf(line, sizeof line, "%-25s %5.2f (%6.2f)    %5.2f (%6.2f)    %5.2f (%6.2f)\n", task,
                    expert.success_rate, expert.mean_return, random.success_rate, random.mean_return,
                    imagined.success_rate, imagined.mean_return);
    } else {
      std::snprintf(line, sizeof line, "%-25s %5.2f (%6.2f)    %5.2f (%6.2f)    (no world model)\n", task,
                    expert.success_rate, expert.mean_return, random.success_rate, random.mean_return);
    }
    first = false;
    rows.emplace_back(row);
    text << line;
  }
  if (with_wm) text << "A2World-sim: " << checkpoint << "\n";
  print_json_or_text(c.flag_set("json"),
                     a2w::env::Dict{{"demo", rows}, {"checkpoint", with_wm ? checkpoint : ""}}, text.str());
  return 0;
}

// `a2w wm pretrain` and `a2w wm adapt`: a2w::wm::train_world_model with a TrainJob from the options.
a2w::env::Dict config_overrides(const std::string& text) {
  a2w::env::Dict d;
  for (const auto& kv : split(text)) {
    const auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0)
      throw UsageError("--set expects FIELD=VALUE pairs separated by commas, got '" + kv + "'");
    const std::string value = kv.substr(eq + 1);
    try {
      d[kv.substr(0, eq)] = a2w::env::parse_json(value);  // numbers, true/false, ["lists"]
    } catch (const a2w::InvalidArgument&) {
      d[kv.substr(0, eq)] = value;  // bare words such as heun
    }
  }
  return d;
}

// RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT, or the options that override them.
a2w::wm::Launch launch_of(const Command& c) {
  try {
    return a2w::wm::launch_from_env(c.get("rank"), c.get("world-size"), c.get("master-addr"),
                                    c.get("master-port"));
  } catch (const a2w::InvalidArgument& e) {
    throw UsageError(std::string("--rank/--world-size/--master-addr/--master-port: ") + e.what());
  }
}

int cmd_wm_train(const std::string& mode, const Args& args) {
  const bool adapt = mode == "adapt";
  Command c(adapt ? "wm adapt --from CKPT --task ID --data DIR --out CKPT [options]"
                  : "wm pretrain --data DIR[,DIR] --out CKPT [options]",
            adapt
                ? "Adapt a pretrained A2World to one task (A2World-sim): fine-tune all weights at a smaller "
                  "learning rate; the task gets a task-embedding row if it is new."
                : "Pretrain A2World on recorded episodes of many tasks (a2w collect's folders).");
  if (adapt)
    c.option("from", "CKPT", "pretrained checkpoint", "", true)
        .option("task", "ID", "target task id, e.g. a2w/OpenDrawer-v0", "", true);
  c.option("data", "DIR[,DIR]", "dataset folders or .hdf5 files", "", true)
      .option("tasks", "ID,ID", "keep only these task ids (adapt: --task)")
      .option("exclude-tasks", "ID,ID", "drop these task ids (held out for transfer)")
      .option("fraction", "F", "fraction of each task's episodes, a seeded choice", "1");
  if (!adapt)
    c.option("config", "NAME", "model preset: tiny | cpu | gpu", "cpu")
        .option(
            "init", "CKPT",
            "warm start: copy the tensors of this checkpoint whose names and shapes match, the rest fresh");
  c.option("set", "F=V,F=V", "WorldModelConfig overrides, e.g. depth=4,sampler=heun")
      .option("steps", "N", "optimizer steps in total (a resumed run continues up to N)",
              adapt ? "1000" : "2000")
      .option("batch", "B", "batch size", "16")
      .option("lr", "LR", "peak learning rate (warm-up, then cosine decay)", adapt ? "1e-4" : "3e-4")
      .option("warmup", "N", "warm-up steps (-1: min(500, steps / 10))", "-1")
      .option("seed", "S", "seed of the initial weights, the data order and every random draw", "0")
      .option("out", "CKPT", "checkpoint to write", "", true)
      .flag("resume", "continue from --out when it exists")
      .option("checkpoint-every", "N", "steps between checkpoints (0: only at the end)", "1000")
      .option("max-minutes", "M", "stop after M minutes with a checkpoint (--resume continues; 0: no limit)",
              "0")
      .option("stop-at", "N", "stop at step N with a checkpoint, as if interrupted (0: run to --steps)", "0")
      .option("threads", "N", "intra-op threads (0: one per core; 1 on a machine busy with other work)", "0")
      .option("device", "DEV", "cpu | cuda | cuda:N", "cpu")
      .option("precision", "P",
              "matrix products: auto | float32 | bfloat16 (auto: bfloat16 where the hardware "
              "does it natively)",
              "auto")
      .option("eval-data", "DIR[,DIR]", "held-out episodes for a one-step evaluation at the end")
      .option("eval-windows", "N", "held-out windows evaluated", "128")
      .option("rank", "R", "data-parallel: this process (default: $RANK or 0)")
      .option("world-size", "W", "data-parallel: number of processes (default: $WORLD_SIZE or 1)")
      .option("master-addr", "HOST", "data-parallel: rank 0's host (default: $MASTER_ADDR)")
      .option("master-port", "PORT", "data-parallel: port of rank 0's store (default: $MASTER_PORT or 29500)")
      .flag("json", "print one JSON object")
      .flag("quiet", "no progress bar");
  if (!c.parse(args)) return 0;
  a2w::wm::TrainJob job;
  const auto launch = launch_of(c);
  job.rank = launch.rank;
  job.world_size = launch.world_size;
  job.master_addr = launch.master_addr;
  job.master_port = launch.master_port;
  if (adapt) {
    job.from = c.get("from");
    job.task = c.get("task");
  } else {
    job.config = c.get("config");
    job.init = c.get("init");
  }
  job.data = split(c.get("data"));
  job.tasks = split(c.get("tasks"));
  job.exclude_tasks = split(c.get("exclude-tasks"));
  job.fraction = c.get_double("fraction");
  job.config_overrides = config_overrides(c.get("set"));
  job.steps = c.get_int("steps", 1, 1000000000);
  job.batch_size = static_cast<int>(c.get_int("batch", 1, 65536));
  job.lr = c.get_double("lr");
  job.warmup_steps = c.get_int("warmup", -1, 1000000000);
  job.seed = c.get_u64("seed");
  job.out = c.get("out");
  job.resume = c.flag_set("resume");
  job.checkpoint_every = c.get_int("checkpoint-every", 0, 1000000000);
  job.max_minutes = c.get_double("max-minutes");
  job.stop_at_step = c.get_int("stop-at", 0, 1000000000);
  job.threads = static_cast<int>(c.get_int("threads", 0, 1024));
  job.device = c.get("device");
  job.precision = c.get("precision");
  job.eval_data = split(c.get("eval-data"));
  job.eval_windows = c.get_int("eval-windows", 1, 1000000);
  job.progress = !c.flag_set("quiet");
  const auto report = a2w::wm::train_world_model(job);
  print_json_or_text(c.flag_set("json"), report.to_dict(), report.to_text());
  return 0;
}

int cmd_wm_export(const Args& args) {
  Command c(
      "wm export --from CKPT --out CKPT [options]",
      "Write an inference checkpoint: the EMA weights, state statistics and training record, without the "
      "optimizer state; in float16 it is an eighth of the training checkpoint.");
  c.option("from", "CKPT", "training (or exported) checkpoint", "", true)
      .option("out", "CKPT", "checkpoint to write", "", true)
      .option("dtype", "TYPE", "float16 | float32", "float16")
      .flag("raw", "export the raw weights instead of the EMA")
      .flag("json", "print one JSON object");
  if (!c.parse(args)) return 0;
  const auto r = a2w::wm::export_world_model(c.get("from"), c.get("out"), c.get("dtype"), !c.flag_set("raw"));
  print_json_or_text(c.flag_set("json"), r.to_dict(), r.to_text());
  return 0;
}

// `a2w wm eval`: a2w::wm::evaluate_fidelity, the strip written as PNG.
int cmd_wm_eval(const Args& args) {
  Command c(
      "wm eval --data DIR[,DIR] [options]",
      "Fidelity of A2World on held-out recorded episodes: open-loop replay from the first frames with the "
      "recorded actions; per horizon PSNR, SSIM, moving-region PSNR and end-effector / object errors beside "
      "copy-last and erase baselines; imagined success against MuJoCo's; failures apart.");
  c.option("data", "DIR[,DIR]", "held-out episodes (a2w collect output folders or .hdf5 files)", "", true)
      .option("checkpoint", "FILE", "a2w checkpoint or TorchScript module (default: the shipped one)")
      .option("tasks", "ID[,ID]", "only these tasks (default: every task in the data)")
      .option("horizons", "H[,H]", "steps after the start that are scored", "1,8,32")
      .option("episodes", "N", "episodes per task (0: all)", "0")
      .option("batch", "N", "episodes imagined together", "32")
      .option("seed", "S", "sampling noise seed", "0")
      .flag("no-erase", "skip the erase baseline (no physics replay)")
      .option("video", "FILE", "mp4 of the first episodes: true views above, imagined below")
      .option("video-episodes", "N", "episodes in the video", "3")
      .option("strip", "FILE", "PNG: true and imagined agent view at 0, h/4, ..., h (h: --strip-horizon)")
      .option("strip-horizon", "H", "last step of the strip", "32")
      .option("sampling-steps", "N", "A2World: sampler steps (0: the checkpoint's)", "0")
      .option("sampler", "KIND", "A2World: euler | heun (default: the checkpoint's)")
      .option("device", "DEV", "cpu | cuda", "cpu")
      .option("precision", "P", "A2World: matrix products, auto | float32 | bfloat16", "auto")
      .option("threads", "N", "LibTorch threads (0: one per core)", "0")
      .flag("overwrite", "replace existing --video/--strip files")
      .flag("json", "print one JSON object")
      .flag("quiet", "no progress bar");
  if (!c.parse(args)) return 0;
  a2w::wm::FidelityOptions o;
  o.data = split(c.get("data"));
  o.tasks = split(c.get("tasks"));
  o.horizons.clear();
  for (const auto& h : split(c.get("horizons"))) {
    char* end = nullptr;
    const long v = std::strtol(h.c_str(), &end, 10);
    if (h.empty() || *end != '\0' || v < 1 || v > 100000)
      throw UsageError("--horizons: expected positive step counts like 1,8,32, got '" + h + "'");
    o.horizons.push_back(static_cast<int>(v));
  }
  o.episodes_per_task = c.get_int("episodes", 0, 1000000000);
  o.batch_size = static_cast<int>(c.get_int("batch", 1, 4096));
  o.seed = c.get_u64("seed");
  o.erase_baseline = !c.flag_set("no-erase");
  o.video = c.get("video");
  o.video_episodes = static_cast<int>(c.get_int("video-episodes", 1, 100000));
  o.strip_horizon = static_cast<int>(c.get_int("strip-horizon", 4, 100000));
  o.progress = !c.flag_set("quiet");
  const std::string strip = c.get("strip");
  for (const auto& f : {o.video, strip})
    if (!f.empty() && !c.flag_set("overwrite") && std::filesystem::exists(f))
      throw UsageError(f + " exists; expected a new file name (or --overwrite)");
  a2w::wm::set_torch_threads(static_cast<int>(c.get_int("threads", 0, 1024)));
  a2w::tasks::register_tasks();  // the physics tasks replay the episodes and judge imagined states
  const std::string path = c.get("checkpoint").empty() ? a2w::wm::default_checkpoint() : c.get("checkpoint");
  auto model = a2w::wm::load_sim_model(path, c.get("device"));
  if (auto* a2world = dynamic_cast<a2w::wm::A2World*>(model.get()))
    a2world->set_precision(a2w::wm::parse_precision(c.get("precision"), a2world->device()));
  else if (c.get("precision") != "auto")
    throw UsageError("--precision: " + path + " is not an A2World checkpoint");
  const auto steps = static_cast<int>(c.get_int("sampling-steps", 0, 1000));
  if (steps > 0 || !c.get("sampler").empty()) {
    auto* a2world = dynamic_cast<a2w::wm::A2World*>(model.get());
    if (!a2world) throw UsageError("--sampling-steps/--sampler: " + path + " is not an A2World checkpoint");
    a2world->set_sampler(steps > 0 ? steps : a2world->config().sampling_steps,
                         c.get("sampler").empty() ? a2world->config().sampler : c.get("sampler"));
  }
  const auto report = a2w::wm::evaluate_fidelity(*model, o, path);
  if (!strip.empty()) {
    if (report.strip.size() == 0)
      throw UsageError("--strip: no episode has more than " + std::to_string(o.strip_horizon) + " steps");
    const auto& sh = report.strip.shape();
    a2w::tasks::write_png(strip, report.strip.data<std::uint8_t>(), static_cast<int>(sh[1]),
                          static_cast<int>(sh[0]));
  }
  print_json_or_text(c.flag_set("json"), report.to_dict(), report.to_text());
  return 0;
}

// `a2w eval`: a2w::bench::run_evaluation.
int cmd_eval(const Args& args) {
  Command c(
      "eval --policies P[,P] --tasks ID[,ID] --out FILE [options]",
      "Paired evaluation: every policy on every task over a fixed, versioned seed list, in physics and in "
      "A2World-sim; one JSON line per episode appended to --out as it finishes; a rerun skips what is done.");
  c.option("policies", "P[,P]",
           "random | expert (physics only) | policy file | zmq:// | openpi://, each with an optional @NOISE",
           "", true)
      .option("tasks", "ID[,ID]", "physics task ids", "", true)
      .option("out", "FILE", "results file (JSON Lines, appended)", "", true)
      .option("backends", "B[,B]", "physics and/or wm", "physics,wm")
      .option("episodes", "N", "seeds 0..N-1 of each task's seed list", "50")
      .option("checkpoint", "FILE", "wm: a2w checkpoint or TorchScript module (default: the shipped one)")
      .option("device", "DEV", "wm: cpu | cuda", "cpu")
      .option("num-envs", "N", "envs stepped together (0: min(episodes, 16))", "0")
      .option("threads", "N", "worker threads / LibTorch threads (0: one per core)", "0")
      .option("image-size", "PX", "physics camera size (0: the world model's when wm is a backend)", "0")
      .option("horizon", "N", "episode length limit in both backends (0: the task's)", "0")
      .option("rank", "R", "this process's shard (default: $RANK or 0)")
      .option("world-size", "W", "number of shards (default: $WORLD_SIZE or 1)")
      .option("master-addr", "HOST",
              "rank 0's host: the ranks meet on a c10d TCPStore there and rank 0 writes --out "
              "(default: $MASTER_ADDR; none: every rank appends to --out itself)")
      .option("master-port", "PORT", "port of rank 0's store (default: $MASTER_PORT or 29500)")
      .option("heartbeat-timeout", "S", "a rank silent this long before finishing fails the run", "30")
      .flag("json", "print one JSON object")
      .flag("quiet", "no progress bar");
  if (!c.parse(args)) return 0;
  a2w::bench::EvalJob job;
  job.policies = split(c.get("policies"));
  job.tasks = split(c.get("tasks"));
  job.results = c.get("out");
  job.backends = split(c.get("backends"));
  job.episodes = c.get_int("episodes", 1, 100000000);
  job.checkpoint = c.get("checkpoint");
  job.device = c.get("device");
  job.num_envs = static_cast<int>(c.get_int("num-envs", 0, 4096));
  job.num_threads = static_cast<int>(c.get_int("threads", 0, 1024));
  job.image_size = static_cast<int>(c.get_int("image-size", 0, 1024));
  if (const auto h = c.get_int("horizon", 0, 1000000); h > 0)
    job.env_options["horizon"] = static_cast<std::int64_t>(h);
  const auto launch = launch_of(c);
  job.rank = launch.rank;
  job.world_size = launch.world_size;
  job.master_addr = launch.master_addr;
  job.master_port = launch.master_port;
  job.heartbeat_timeout = c.get_double("heartbeat-timeout");
  if (!(job.heartbeat_timeout > 0)) throw UsageError("--heartbeat-timeout: expected seconds > 0");
  job.progress = !c.flag_set("quiet");
  const auto report = a2w::bench::run_evaluation(job);
  print_json_or_text(c.flag_set("json"), report.to_dict(), report.to_text());
  return 0;
}

// `a2w whatif`: a2w::bench::run_whatif (or compare_whatif with --compare-only).
int cmd_whatif(const Args& args) {
  Command c(
      "whatif --task ID --policies P[,P] --out DIR [options]",
      "What-if sweep: the task as written and each variant its file declares (`perturbations`), every "
      "policy on the same seeds in physics and A2World-sim; per variant the change in success in each "
      "backend with 95 % intervals, whether the signs agree, and how well the model ranks the variants.");
  c.option("task", "ID", "physics task id (a2w tasks show ID lists its perturbations)", "", true)
      .option("policies", "P[,P]", "random | policy file | zmq:// | openpi://, each with an optional @NOISE",
              "", true)
      .option("out", "DIR", "folder of results files, one per variant (a rerun resumes)", "", true)
      .option("perturbations", "NAME[,NAME]", "variants to run (default: every one the task declares)")
      .option("episodes", "N", "seeds 0..N-1 of the task's seed list, in every variant", "50")
      .option("checkpoint", "FILE", "a2w checkpoint or TorchScript module (default: the shipped one)")
      .option("device", "DEV", "cpu | cuda", "cpu")
      .option("num-envs", "N", "envs stepped together (0: min(episodes, 16))", "0")
      .option("threads", "N", "worker threads / LibTorch threads (0: one per core)", "0")
      .option("horizon", "N", "episode length limit in both backends (0: the task's)", "0")
      .flag("compare-only", "run nothing: compare the results files already in --out")
      .flag("json", "print one JSON object")
      .flag("quiet", "no progress");
  if (!c.parse(args)) return 0;
  a2w::bench::WhatIfJob job;
  job.task = c.get("task");
  job.policies = split(c.get("policies"));
  job.out_dir = c.get("out");
  job.perturbations = split(c.get("perturbations"));
  job.episodes = c.get_int("episodes", 1, 100000000);
  job.checkpoint = c.get("checkpoint");
  job.device = c.get("device");
  job.num_envs = static_cast<int>(c.get_int("num-envs", 0, 4096));
  job.num_threads = static_cast<int>(c.get_int("threads", 0, 1024));
  if (const auto h = c.get_int("horizon", 0, 1000000); h > 0)
    job.env_options["horizon"] = static_cast<std::int64_t>(h);
  job.progress = !c.flag_set("quiet");
  const auto report =
      c.flag_set("compare-only") ? a2w::bench::compare_whatif(job) : a2w::bench::run_whatif(job);
  print_json_or_text(c.flag_set("json"), report.to_dict(), report.to_text());
  return 0;
}

// `a2w correlate`: a2w::bench::correlate over the records of one or more results files.
int cmd_correlate(const Args& args) {
  Command c(
      "correlate --results FILE[,FILE] [options]",
      "Imagined (A2World-sim) against physics success from paired eval records: per-policy success with "
      "Wilson intervals; Pearson, Spearman, Kendall tau-b, mean gap and MMRV across policies with "
      "bootstrap intervals; per-episode confusion, agreement and kappa.");
  c.option("results", "FILE[,FILE]", "eval results (JSON Lines)", "", true)
      .option("out", "PREFIX", "write PREFIX.json, PREFIX.csv and PREFIX.html")
      .option("resamples", "N", "bootstrap resamples", "1000")
      .option("seed", "S", "bootstrap seed", "0")
      .option("title", "TEXT", "title of the HTML report", "a2w correlate")
      .flag("json", "print one JSON object");
  if (!c.parse(args)) return 0;
  std::vector<a2w::bench::EvalRecord> records;
  for (const auto& f : split(c.get("results"))) {
    if (!std::filesystem::exists(f)) throw UsageError("--results: " + f + " does not exist");
    auto r = a2w::bench::read_eval_results(f);
    records.insert(records.end(), r.begin(), r.end());
  }
  a2w::bench::CorrelateOptions o;
  o.resamples = static_cast<int>(c.get_int("resamples", 1, 1000000));
  o.seed = c.get_u64("seed");
  const auto report = a2w::bench::correlate(records, o);
  if (const std::string prefix = c.get("out"); !prefix.empty()) {
    a2w::env::write_file_atomic(prefix + ".json", a2w::env::to_json(report.to_dict(), true) + "\n");
    a2w::env::write_file_atomic(prefix + ".csv", report.to_csv());
    a2w::env::write_file_atomic(prefix + ".html", a2w::bench::correlation_html(report, c.get("title")));
  }
  print_json_or_text(c.flag_set("json"), report.to_dict(), report.to_text());
  return 0;
}

int cmd_wm(const Args& args) {
  const std::string sub = args.empty() ? "" : args[0];
  const Args rest = args.empty() ? Args{} : Args(args.begin() + 1, args.end());
  if (sub == "pretrain" || sub == "adapt") return cmd_wm_train(sub, rest);
  if (sub == "export") return cmd_wm_export(rest);
  if (sub == "eval") return cmd_wm_eval(rest);
  std::cout
      << "usage: a2w wm pretrain [options] | a2w wm adapt [options] | a2w wm export [options] | a2w wm eval "
         "[options]   (--help for each)\n";
  return sub.empty() || sub == "--help" || sub == "-h" ? 0 : 2;
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
    if (verb == "serve") return cmd_serve(rest);
    if (verb == "wm") return cmd_wm(rest);
    if (verb == "policy") return cmd_policy(rest);
    if (verb == "eval") return cmd_eval(rest);
    if (verb == "correlate") return cmd_correlate(rest);
    if (verb == "whatif") return cmd_whatif(rest);
    throw UsageError("unknown verb '" + verb +
                     "'; expected one of: demo, tasks, rollout, collect, doctor, bench, serve, wm, policy, "
                     "eval, correlate, whatif");
  } catch (const UsageError& e) {
    std::cerr << "a2w: " << e.what() << "\n(see a2w " << verb << " --help)\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "a2w: error: " << e.what() << "\n";
    return 1;
  }
}
