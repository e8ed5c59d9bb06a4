#pragma once
// Paired evaluation (`a2w eval`): policies x tasks x a fixed seed list, in physics and in A2World-sim.
//
//   EvalJob job;
//   job.policies = {"random", "/models/bc.a2wp"};
//   job.tasks = {"a2w/LiftCube-v0"};
//   job.results = "results.jsonl";
//   run_evaluation(job);            // appends one record per finished episode; a rerun skips what is done
//
// Seeds: episode k of task T uses eval_seeds(T, ...)[k], a list fixed by (task, version) alone, so results
// from different runs, shards and machines pair up: the same (policy, task, seed) is the same start state in
// physics and in A2World-sim (which takes its first frames from the physics task reset with that seed).
//
// Results file: JSON Lines, one record per episode, appended and flushed as each episode finishes. A killed
// run leaves at most a partial last line, which the next run drops before appending; records already
// written are never rewritten.

#include <cstdint>
#include <string>
#include <vector>

#include "a2w/env/value.h"

namespace a2w::bench {

inline constexpr int kEvalSeedListVersion = 1;

// The first `count` seeds of task `task`'s list (version 1: episode_seed(FNV-1a 64 of "a2w-eval/<task>", k,
// 1)). Throws InvalidArgument for another version.
std::vector<std::uint64_t> eval_seeds(const std::string& task, std::int64_t count,
                                      int version = kEvalSeedListVersion);

struct EvalRecord {
  std::string policy, task, backend;  // backend: "physics" or "wm"
  std::int64_t seed_index = 0;        // k in the task's seed list
  std::uint64_t seed = 0;
  int seed_list_version = kEvalSeedListVersion;
  bool success_once = false, success_at_end = false;
  double ret = 0;
  std::int64_t length = 0;

  env::Dict to_dict() const;
  // Throws InvalidArgument naming the missing or mistyped field.
  static EvalRecord from_dict(const env::Dict& d);
};

// Every complete record of a results file (none when it does not exist). A partial last line (a killed
// writer) is skipped; any other unparsable line throws InvalidArgument naming the file and line.
std::vector<EvalRecord> read_eval_results(const std::string& path);

struct EvalJob {
  // Policies: "random", "expert" (physics only), a policy file, or a remote policy URL (zmq://, openpi://),
  // each optionally with "@NOISE" (e.g. "bc.a2wp@0.3": Gaussian action noise 0.3, make_policy); the name as
  // given is the record's policy. A zoo manifest (*.jsonl, wm/policy_zoo.h) stands for its policies (their
  // files' paths, with "@NOISE").
  std::vector<std::string> policies;
  std::vector<std::string> tasks;                      // physics ids, e.g. a2w/LiftCube-v0
  std::vector<std::string> backends{"physics", "wm"};  // "physics", "wm"
  std::int64_t episodes = 50;                          // seeds 0 .. episodes-1 of each task's list
  std::string checkpoint;                              // wm: the world model (empty: the shipped default)
  std::string device = "cpu";
  int num_envs = 0;     // envs stepped together per (policy, task, backend) (0: min(episodes, 16))
  int num_threads = 0;  // physics worker threads / LibTorch threads (0: one per core)
  // Physics camera size; 0: the world model's when "wm" is among the backends (so a policy sees images of the
  // same size in both), else the task's default.
  int image_size = 0;
  env::Dict env_options;  // more options for every env, e.g. {"horizon": 100} (physics: a2w::make's)
  std::string results;    // JSON Lines file, appended
  // Sharding: this process runs the (policy, task, backend, seed) items with index % world_size == rank.
  // With master_addr (torchrun-style MASTER_ADDR/MASTER_PORT) the ranks meet on a c10d TCPStore served by
  // rank 0 (rendezvous.h): rank 0 reads the results file and tells the others what is done, the others send
  // each record to it as it finishes, and rank 0 alone writes the file, so the ranks may run on different
  // machines. A rank that stops sending heartbeats for heartbeat_timeout seconds before finishing its share
  // fails the run (rank 0 throws a2w::Error naming it; the records gathered so far stay in the file, and a
  // rerun does the rest). Without master_addr every rank appends to the same file itself (one machine or a
  // shared filesystem).
  int rank = 0, world_size = 1;
  std::string master_addr;
  int master_port = 29500;
  double heartbeat_timeout = 30;  // seconds
  double join_timeout = 120;      // seconds for every rank to join the store
  bool progress = true;
};

struct EvalReport {
  std::int64_t episodes_run = 0, episodes_skipped = 0;  // skipped: already in the results file
  std::int64_t episodes_gathered = 0;  // rank 0 on a store: the records other ranks sent and it wrote
  double seconds = 0;
  // Per (policy, task, backend) run here: episodes and success rate of what this run added.
  struct Group {
    std::string policy, task, backend;
    std::int64_t episodes = 0;
    double success_rate = 0;
    double seconds = 0;
  };
  std::vector<Group> groups;
  env::Dict to_dict() const;
  std::string to_text() const;
};

// Throws InvalidArgument for an unknown backend or policy, an expert in A2World-sim, no results path, or a
// rank outside [0, world_size); a2w::Error when a rank (or, for the others, rank 0) is lost.
EvalReport run_evaluation(const EvalJob& job);

}  // namespace a2w::bench
