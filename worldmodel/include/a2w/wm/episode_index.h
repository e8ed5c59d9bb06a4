#pragma once
// EpisodeIndex: the recorded episodes a training run draws its windows from. It scans dataset folders (as
// `a2w collect` writes them: <out>/<Task>-v0/*.hdf5), keeps the episodes of the wanted tasks (optionally a
// seeded fraction of each task's episodes, for the data-efficiency experiments), checks that every episode
// has what the model needs, and keeps the small per-step arrays (actions, rewards, success, state labels) in
// memory; frames stay on disk and are read window by window (window_loader.h).
//
// Per episode of T steps, in the file's layout (env/hdf5_writer.h): obs/<view>[t] is the frame BEFORE action
// t, actions[t], rewards[t] and success[t] belong to action t, state/vector[t] and state/mask[t] describe the
// state AFTER action t. The frame after the last action is not stored, so a transition t -> t + h (h =
// action_horizon) needs t + h <= T - 1: an episode offers T - h transitions.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "a2w/env/array.h"
#include "a2w/env/hdf5_reader.h"

namespace a2w::wm {

struct EpisodeIndexOptions {
  std::vector<std::string> paths;          // dataset folders (searched recursively for *.hdf5) or files
  std::vector<std::string> tasks;          // keep only these task ids (empty: every task found)
  std::vector<std::string> exclude_tasks;  // then drop these
  double fraction = 1.0;   // keep this fraction of each task's episodes (at least one), (0, 1]
  std::uint64_t seed = 0;  // which episodes the fraction keeps
  std::vector<std::string> view_keys{"agentview_rgb",
                                     "eye_in_hand_rgb"};  // obs/<key> every episode must have
  int action_dim = 7;
  int state_dim = 32;
  int action_horizon = 1;        // episodes with T <= action_horizon offer no transition and are skipped
  bool successful_only = false;  // keep only episodes in which some step succeeded (the `success` labels)
};

struct Episode {
  int file = 0;      // index into EpisodeIndex::files()
  std::string demo;  // "demo_3"
  std::int64_t length = 0;
  std::string task;         // the file's `task` attribute, e.g. "a2w/LiftCube-v0"
  std::string instruction;  // the demo's `instruction` attribute ("" when it has none)
  env::Array actions;       // f32 [T, action_dim]
  env::Array rewards;       // f32 [T]
  env::Array success;       // f32 [T], 0 or 1
  env::Array state;         // f32 [T, state_dim] (zeros when the file has no state labels)
  env::Array state_mask;    // f32 [T, state_dim] (zeros when the file has no state labels)
  // f32 [state_dim]: the state at reset (initial_state/vector, written since RecordEpisode records it); files
  // from before carry none, and then this is state row 0, the state one step later.
  env::Array initial_state;
  bool has_initial_state = false;
};

class EpisodeIndex {
 public:
  // Throws InvalidArgument naming the path when a folder holds no .hdf5 file, when no episode is left after
  // filtering (listing the tasks found), or when an episode lacks a view or has actions of another width;
  // NotFound for a path that does not exist.
  explicit EpisodeIndex(const EpisodeIndexOptions& options);

  const std::vector<Episode>& episodes() const { return episodes_; }
  const std::vector<std::string>& files() const { return files_; }
  const env::DatasetReader& reader(int file) const { return *readers_[static_cast<std::size_t>(file)]; }
  // Sorted task ids of the kept episodes.
  const std::vector<std::string>& tasks() const { return tasks_; }
  // Every task id found before filtering, sorted.
  const std::vector<std::string>& all_tasks() const { return all_tasks_; }
  int image_size() const { return image_size_; }  // of the stored frames (square)
  const EpisodeIndexOptions& options() const { return options_; }
  // Transitions over all episodes (sum of T - action_horizon).
  std::int64_t transitions() const { return transitions_; }

  // Per state entry, over every step whose mask is set: count, sum, sum of squares (for StateNormalizer).
  void state_moments(std::vector<double>& count, std::vector<double>& sum, std::vector<double>& sum_sq) const;
  // The same for one step's change (state after action t minus the state before it; the first step only
  // where the initial state was recorded): count and sum of squares (StateNormalizer::with_delta).
  void state_change_moments(std::vector<double>& count, std::vector<double>& sum_sq) const;

 private:
  EpisodeIndexOptions options_;
  std::vector<std::string> files_;
  std::vector<std::unique_ptr<env::DatasetReader>> readers_;
  std::vector<Episode> episodes_;
  std::vector<std::string> tasks_, all_tasks_;
  int image_size_ = 0;
  std::int64_t transitions_ = 0;
};

}  // namespace a2w::wm
