// `a2w policy ...`: learned policies. Argument parsing only; the work is a2w::wm::train_bc (bc_train.h) and
// a2w::wm::build_policy_zoo (policy_zoo.h).

#include <cstdint>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "a2w/env/json.h"
#include "a2w/wm/a2world_policy_train.h"
#include "a2w/wm/bc_train.h"
#include "a2w/wm/policy_zoo.h"
#include "args.h"

namespace {

using a2w::cli::Command;
using a2w::cli::UsageError;
using Args = std::vector<std::string>;

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

// "F=V,F=V" -> {F: V}; values parse as JSON (numbers, true/false, ["lists"]) or stay bare words (mse).
a2w::env::Dict overrides(const std::string& text) {
  a2w::env::Dict d;
  for (const auto& kv : split_list(text)) {
    const auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0)
      throw UsageError("--set expects FIELD=VALUE pairs separated by commas, got '" + kv + "'");
    const std::string value = kv.substr(eq + 1);
    try {
      d[kv.substr(0, eq)] = a2w::env::parse_json(value);
    } catch (const a2w::InvalidArgument&) {
      d[kv.substr(0, eq)] = value;
    }
  }
  return d;
}

// `a2w policy train --kind a2w-policy`: a2w::wm::train_a2world_policy.
int train_a2world_policy(const Command& c) {
  if (!c.get("set").empty() || !c.get("eval-data").empty())
    throw UsageError("--set and --eval-data are options of --kind bc");
  a2w::wm::A2WorldPolicyTrainJob job;
  job.data = split_list(c.get("data"));
  job.out = c.get("out");
  job.tasks = split_list(c.get("tasks"));
  job.exclude_tasks = split_list(c.get("exclude-tasks"));
  job.fraction = c.get_double("fraction");
  job.successful_only = !c.flag_set("all-episodes");
  job.from = c.get("from");
  job.config = c.get("config");
  job.chunk = static_cast<int>(c.get_int("chunk", 0, 1024));
  job.execute = static_cast<int>(c.get_int("execute", 0, 1024));
  job.steps = c.get_int("steps", 1, 1000000000);
  job.batch_size = static_cast<int>(c.get_int("batch", 1, 65536));
  job.lr = c.get_double("lr");
  job.warmup_steps = c.get_int("warmup", -1, 1000000000);
  job.seed = c.get_u64("seed");
  job.resume = c.flag_set("resume");
  job.checkpoint_every = c.get_int("checkpoint-every", 0, 1000000000);
  job.max_minutes = c.get_double("max-minutes");
  job.stop_at_step = c.get_int("stop-at", 0, 1000000000);
  job.threads = static_cast<int>(c.get_int("threads", 0, 1024));
  job.device = c.get("device");
  job.precision = c.get("precision");
  job.log_every = c.get_int("log-every", 1, 1000000000);
  job.progress = !c.flag_set("quiet");
  const auto report = a2w::wm::train_a2world_policy(job);
  if (c.flag_set("json"))
    std::cout << a2w::env::to_json(report.to_dict()) << std::endl;
  else
    std::cout << report.to_text() << std::flush;
  return 0;
}

// The behaviour-cloning options that `policy train` and `policy zoo` share, read into the job each builds.
void read_bc_options(const Command& c, a2w::wm::BCTrainJob& job) {
  job.data = split_list(c.get("data"));
  job.tasks = split_list(c.get("tasks"));
  job.exclude_tasks = split_list(c.get("exclude-tasks"));
  job.fraction = c.get_double("fraction");
  job.config = c.get("config");
  job.config_overrides = overrides(c.get("set"));
  job.steps = c.get_int("steps", 1, 1000000000);
  job.batch_size = static_cast<int>(c.get_int("batch", 1, 65536));
  job.lr = c.get_double("lr");
  job.seed = c.get_u64("seed");
  job.threads = static_cast<int>(c.get_int("threads", 0, 1024));
  job.device = c.get("device");
  job.precision = c.get("precision");
  job.progress = !c.flag_set("quiet");
}

int cmd_policy_train(const Args& args) {
  Command c(
      "policy train --kind bc|a2w-policy --data DIR[,DIR] --out FILE [options]",
      "Train a policy on recorded episodes (a2w collect's folders). --kind bc: behaviour cloning, both "
      "cameras + proprio -> an action chunk, L1 regression. --kind a2w-policy: A2World-policy, the "
      "A2World trunk denoising an action chunk jointly with the next frames, conditioned on the "
      "instruction, initialised from --from (a pretrained A2World) or from scratch (docs/policies.md). "
      "The file runs with a2w rollout --policy FILE, in physics (--sim physics) and A2World-sim (--sim wm).");
  c.option("kind", "KIND", "policy kind: bc | a2w-policy", "", true)
      .option("data", "DIR[,DIR]", "dataset folders or .hdf5 files", "", true)
      .option("out", "FILE", "policy file to write (conventionally *.a2wp)", "", true)
      .option("tasks", "ID,ID", "keep only these task ids")
      .option("exclude-tasks", "ID,ID", "drop these task ids")
      .option("fraction", "F", "fraction of each task's episodes, a seeded choice", "1")
      .flag("all-episodes", "keep failed episodes too (default: only episodes in which the task succeeded)")
      .option("config", "NAME", "model preset: tiny | cpu (a2w-policy with --from: the pretrained trunk)",
              "cpu")
      .option("from", "CKPT",
              "a2w-policy: the pretrained A2World whose weights start the trunk (none: scratch)")
      .option("chunk", "N", "a2w-policy: actions per prediction (0: the preset's)", "0")
      .option("execute", "N",
              "a2w-policy: steps of each chunk executed before predicting again (0: preset's)", "0")
      .option("set", "F=V,F=V", "BCConfig overrides, e.g. chunk=16,execute=8,loss=mse")
      .option("steps", "N", "optimizer steps in total (a resumed run continues up to N)", "5000")
      .option("batch", "B", "batch size", "64")
      .option("lr", "LR", "peak learning rate (warm-up, then cosine decay)", "3e-4")
      .option("warmup", "N", "warm-up steps (-1: min(200, steps / 10))", "-1")
      .option("seed", "S", "seed of the initial weights, the batches and the augmentation", "0")
      .flag("resume", "continue from --out when it exists")
      .option("checkpoint-every", "N", "steps between checkpoints (0: only at the end)", "1000")
      .option("max-minutes", "M", "stop after M minutes with a checkpoint (--resume continues; 0: no limit)",
              "0")
      .option("stop-at", "N", "stop at step N with a checkpoint, as if interrupted (0: run to --steps)", "0")
      .option("threads", "N", "intra-op threads (0: one per core; 1 on a machine busy with other work)", "0")
      .option("device", "DEV", "cpu | cuda | cuda:N", "cpu")
      .option(
          "precision", "P",
          "matrix products: auto | float32 | bfloat16 (auto: bfloat16 where the hardware does it natively)",
          "auto")
      .option("log-every", "N", "a loss-curve point every N steps", "50")
      .option("eval-data", "DIR[,DIR]", "held-out episodes: action error of the final policy on them")
      .option("eval-samples", "N", "held-out samples evaluated (evenly spaced)", "4096")
      .flag("json", "print one JSON object")
      .flag("quiet", "no progress bar");
  if (!c.parse(args)) return 0;
  if (c.get("kind") == "a2w-policy") return train_a2world_policy(c);
  if (c.get("kind") != "bc")
    throw UsageError("--kind: expected bc (behaviour cloning) or a2w-policy (A2World-policy), got '" +
                     c.get("kind") + "'");
  if (!c.get("from").empty() || c.get("chunk") != "0" || c.get("execute") != "0")
    throw UsageError("--from, --chunk and --execute are options of --kind a2w-policy; bc takes --set");
  a2w::wm::BCTrainJob job;
  read_bc_options(c, job);
  job.out = c.get("out");
  job.successful_only = !c.flag_set("all-episodes");
  job.warmup_steps = c.get_int("warmup", -1, 1000000000);
  job.resume = c.flag_set("resume");
  job.checkpoint_every = c.get_int("checkpoint-every", 0, 1000000000);
  job.max_minutes = c.get_double("max-minutes");
  job.stop_at_step = c.get_int("stop-at", 0, 1000000000);
  job.log_every = c.get_int("log-every", 1, 1000000000);
  job.eval_data = split_list(c.get("eval-data"));
  job.eval_samples = c.get_int("eval-samples", 1, 100000000);
  const auto report = a2w::wm::train_bc(job);
  if (c.flag_set("json"))
    std::cout << a2w::env::to_json(report.to_dict()) << std::endl;
  else
    std::cout << report.to_text() << std::flush;
  return 0;
}

std::vector<std::int64_t> int_list(const std::string& s, const char* option) {
  std::vector<std::int64_t> out;
  for (const auto& item : split_list(s)) {
    try {
      std::size_t used = 0;
      out.push_back(std::stoll(item, &used));
      if (used != item.size()) throw std::invalid_argument(item);
    } catch (const std::exception&) {
      throw UsageError(std::string("--") + option + ": expected whole numbers separated by commas, got '" +
                       item + "'");
    }
  }
  return out;
}

std::vector<double> number_list(const std::string& s, const char* option) {
  std::vector<double> out;
  for (const auto& item : split_list(s)) {
    try {
      std::size_t used = 0;
      out.push_back(std::stod(item, &used));
      if (used != item.size()) throw std::invalid_argument(item);
    } catch (const std::exception&) {
      throw UsageError(std::string("--") + option + ": expected numbers separated by commas, got '" + item +
                       "'");
    }
  }
  return out;
}

int cmd_policy_zoo(const Args& args) {
  Command c(
      "policy zoo --data DIR[,DIR] --out DIR [options]",
      "A population of policies for a2w eval / correlate: one behaviour-cloning run saved from early to "
      "converged (--snapshots and --steps), action-noise variants of the converged policy, and a random "
      "policy; each a file plus a line of DIR/manifest.jsonl (name, kind, origin). a2w eval --policies "
      "DIR/manifest.jsonl runs them all. A rerun continues where it stopped.");
  c.option("data", "DIR[,DIR]", "dataset folders or .hdf5 files", "", true)
      .option("out", "DIR", "folder of the policy files and manifest.jsonl", "", true)
      .option("snapshots", "N[,N]", "earlier steps of the run kept as policies", "150,400,1000,2500")
      .option("steps", "N", "the converged end of the run", "6000")
      .option("noise", "S[,S]", "Gaussian action-noise variants of the converged policy (std on [-1, 1])",
              "0.1,0.15,0.2,0.3,0.6")
      .flag("no-random", "leave out the uniform-random policy")
      .option("kinds", "K[,K]", "architectures: bc and/or a2w-policy (a second run, same data)", "bc")
      .option("from", "CKPT", "a2w-policy: the pretrained A2World that starts its trunk (none: from scratch)")
      .option("a2w-policy-steps", "N", "a2w-policy: the converged end of its run", "4000")
      .option("a2w-policy-snapshots", "N[,N]", "a2w-policy: earlier steps kept as policies", "500,1000,2000")
      .option("a2w-policy-batch", "B", "a2w-policy: batch size", "16")
      .option("tasks", "ID,ID", "keep only these task ids (a zoo of one task family)")
      .option("exclude-tasks", "ID,ID", "drop these task ids")
      .option("fraction", "F", "fraction of each task's episodes, a seeded choice", "1")
      .option("config", "NAME", "model preset: tiny | cpu", "cpu")
      .option("set", "F=V,F=V", "BCConfig overrides, e.g. chunk=16,execute=8")
      .option("batch", "B", "batch size", "64")
      .option("lr", "LR", "peak learning rate", "3e-4")
      .option("seed", "S", "seed of the run", "0")
      .option("threads", "N", "intra-op threads (0: one per core)", "0")
      .option("device", "DEV", "cpu | cuda | cuda:N", "cpu")
      .option("precision", "P", "auto | float32 | bfloat16", "auto")
      .flag("json", "print one JSON object")
      .flag("quiet", "no progress bar");
  if (!c.parse(args)) return 0;
  a2w::wm::PolicyZooJob job;
  read_bc_options(c, job.train);
  job.snapshots = int_list(c.get("snapshots"), "snapshots");
  job.noise = number_list(c.get("noise"), "noise");
  job.random = !c.flag_set("no-random");
  job.out_dir = c.get("out");
  bool bc = false;
  for (const auto& k : split_list(c.get("kinds"))) {
    if (k == "bc") {
      bc = true;
    } else if (k == "a2w-policy") {
      a2w::wm::A2WorldPolicyTrainJob a;
      a.data = job.train.data;
      a.tasks = job.train.tasks;
      a.exclude_tasks = job.train.exclude_tasks;
      a.fraction = job.train.fraction;
      a.from = c.get("from");
      a.config = job.train.config;
      a.steps = c.get_int("a2w-policy-steps", 1, 1000000000);
      a.batch_size = static_cast<int>(c.get_int("a2w-policy-batch", 1, 65536));
      a.seed = job.train.seed;
      a.threads = job.train.threads;
      a.device = job.train.device;
      a.precision = job.train.precision;
      a.progress = job.train.progress;
      job.a2w_policy = a;
      job.a2w_policy_snapshots = int_list(c.get("a2w-policy-snapshots"), "a2w-policy-snapshots");
    } else {
      throw UsageError("--kinds: expected bc and/or a2w-policy, got '" + k + "'");
    }
  }
  if (!bc) throw UsageError("--kinds: the zoo is built around a bc run; expected bc among the kinds");
  const auto zoo = a2w::wm::build_policy_zoo(job);
  if (c.flag_set("json"))
    std::cout << a2w::env::to_json(zoo.to_dict()) << std::endl;
  else
    std::cout << zoo.to_text() << std::flush;
  return 0;
}

}  // namespace

// `a2w policy train ...`; declared in main.cpp.
int cmd_policy(const std::vector<std::string>& args) {
  const std::string sub = args.empty() ? "" : args[0];
  const Args rest = args.empty() ? Args{} : Args(args.begin() + 1, args.end());
  if (sub == "train") return cmd_policy_train(rest);
  if (sub == "zoo") return cmd_policy_zoo(rest);
  if (sub.empty() || sub == "--help" || sub == "-h") {
    std::cout
        << "usage: a2w policy train --kind bc|a2w-policy --data DIR[,DIR] --out FILE [options]   (--help)\n"
           "       a2w policy zoo --data DIR[,DIR] --out DIR [options]   (a population for a2w eval)\n"
           "A trained policy runs with: a2w rollout --task ID --policy FILE [--sim physics|wm]\n";
    return sub.empty() ? 2 : 0;
  }
  throw UsageError("unknown verb 'policy " + sub + "'; expected policy train or policy zoo");
}
