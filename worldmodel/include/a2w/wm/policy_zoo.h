#pragma once
// A policy zoo (`a2w policy zoo`): a population of policies whose success spans the whole range, which the
// correlation tooling (`a2w eval`, `a2w correlate`) needs: one behaviour-cloning run saved at several
// points from early to converged, action-noise variants of the converged policy, and a uniform-random
// policy; optionally the same for an A2World-policy run (a second architecture).
//
//   PolicyZooJob job;
//   job.train.data = {"data/corpus"};
//   job.train.steps = 6000;                  // the converged end
//   job.snapshots = {150, 400, 1000, 2500};  // earlier points of the same run
//   job.noise = {0.1, 0.15, 0.2, 0.3, 0.6};
//   job.out_dir = "zoo/";
//   PolicyZoo zoo = build_policy_zoo(job);   // zoo/bc_step150.a2wp ... zoo/manifest.jsonl
//   // a2w eval --policies zoo/manifest.jsonl ...
//
// Each policy is a file (noise variants share their base policy's file) and a manifest line, JSON with
// name, kind ("bc", "a2w-policy", "random"), origin (how it was made, in words), file (relative to the
// manifest; empty for random) and noise (the Gaussian action noise std on [-1, 1] actions, as make_policy's
// "@NOISE"). Snapshots are early stops of one schedule (the cosine decay spans train.steps), made by stopping
// and resuming the run (bc_train.h: a resumed run takes the same steps), so building again after an
// interruption continues: a snapshot file already there is kept. Every file is written by temp file + rename;
// the manifest last.
//
// No LibTorch in this header.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "a2w/env/value.h"
#include "a2w/wm/a2world_policy_train.h"
#include "a2w/wm/bc_train.h"

namespace a2w::wm {

struct PolicyZooJob {
  BCTrainJob train;  // data, config, steps, seed, threads... (`out` is ignored)
  std::vector<std::int64_t> snapshots{150, 400, 1000, 2500};  // steps < train.steps, besides the end
  std::vector<double> noise{0.1, 0.15, 0.2, 0.3, 0.6};        // variants of the converged policy
  bool random = true;                                         // add a uniform-random policy
  // A second architecture: an A2World-policy run (its data, `from`, steps...; `out` is ignored) saved at
  // these snapshots and its end, with the same noise variants. Files a2wp_step<N>.a2wp.
  std::optional<A2WorldPolicyTrainJob> a2w_policy;
  std::vector<std::int64_t> a2w_policy_snapshots{500, 1000, 2000};
  std::string out_dir;  // created if missing
};

struct ZooEntry {
  std::string name;    // e.g. "bc_step150", "bc_step6000@0.3", "random"
  std::string kind;    // "bc", "a2w-policy" or "random"
  std::string origin;  // e.g. "behaviour cloning, step 150 of 6000, seed 0, data/corpus"
  std::string file;    // relative to the manifest's folder; empty for random
  double noise = 0.0;

  env::Dict to_dict() const;
  // Throws InvalidArgument naming the missing or mistyped field.
  static ZooEntry from_dict(const env::Dict& d);
};

struct PolicyZoo {
  std::string manifest;  // path of manifest.jsonl
  std::vector<ZooEntry> entries;

  env::Dict to_dict() const;
  std::string to_text() const;
};

// Trains (or continues) the run and writes the files and the manifest. Throws InvalidArgument for no
// out_dir, a snapshot outside (0, train.steps) or given twice, or a negative or non-finite noise; what
// train_bc throws for bad data or options.
PolicyZoo build_policy_zoo(const PolicyZooJob& job);

// Reads a manifest. Throws InvalidArgument naming the file and line of a malformed entry, or a missing
// policy file; Error when the file cannot be read.
std::vector<ZooEntry> read_zoo_manifest(const std::string& path);

// The manifest's policies as policy names that make_policy and `a2w eval` take: "random", or the policy
// file's path (relative paths resolved against the manifest's folder) with "@NOISE" when noise > 0.
std::vector<std::string> zoo_policy_names(const std::string& manifest_path);

// Whether a policy name is a zoo manifest (a path ending in ".jsonl").
bool is_zoo_manifest(const std::string& name);

// Policy names with each zoo manifest replaced by its policies (zoo_policy_names), the others kept, in order.
std::vector<std::string> expand_zoo_manifests(const std::vector<std::string>& policies);

}  // namespace a2w::wm
