#pragma once
// RecordEpisode: a wrapper that records every finished episode of the env it wraps into HDF5 datasets in
// the LIBERO/robomimic layout (hdf5_writer.h), for behaviour cloning and world-model training.
//
//   auto env = std::make_unique<RecordEpisode>(a2w::make("a2w/LiftCube-v0"),
//                                              RecordEpisodeOptions{.folder = "demos", .prefix = "lift"});
//   ... reset/step as usual ...
//   env->close();  // demos/lift_00000.hdf5 (50 episodes), demos/lift_00001.hdf5, ...
//
// An episode becomes a demo when a step returns terminated or truncated. Every `episodes_per_file`
// episodes a file is closed and so becomes final under its name; close() and the destructor finalise the
// last one. An episode still running at close() or at the next reset() is dropped: a demo is always a
// whole episode. Files are named <prefix>_<index:05d>.hdf5 with index 0, 1, ... Put RecordEpisode outside
// any wrapper that ends episodes (a time limit), so that it sees the step that ends them.
//
// What a step records (EpisodeBuffer): the observation before the action (every Array key; text such as
// "instruction" goes to the demo's attribute), the action, the reward, info["success"] (false if absent)
// and every Array info key starting with "state/" (the privileged state after the action). Arrays are
// copied, so envs may reuse their buffers.

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "a2w/env/hdf5_writer.h"
#include "a2w/env/wrapper.h"

namespace a2w::env {

// Collects one episode step by step and stacks it into a Demo. Usable on its own (e.g. per env slot of a
// VectorEnv). Throws InvalidArgument when an array key appears, disappears or changes dtype or shape within
// an episode, naming the key and the step.
class EpisodeBuffer {
 public:
  // Starts an episode from reset()'s result; drops whatever was collected.
  void begin(const Dict& obs, const Dict& info, std::optional<std::uint64_t> seed);
  // Records the step taken with `action` from the current observation, then makes `result.obs` current.
  void add(const Array& action, const StepResult& result);
  // Stacks the steps into a Demo (ended by the last step's terminated/truncated) and clears the buffer.
  Demo finish();
  void clear();

  bool active() const { return active_; }
  std::int64_t steps() const { return static_cast<std::int64_t>(actions_.size()); }

 private:
  bool active_ = false;
  std::optional<std::uint64_t> seed_;
  std::string instruction_;
  Dict current_obs_;  // array values cloned at the time they came
  std::map<std::string, std::vector<Array>> obs_;
  std::map<std::string, std::vector<Array>> state_;
  std::map<std::string, Array> initial_state_;  // the state/ entries of the reset info
  std::vector<Array> actions_;
  std::vector<float> rewards_;
  std::vector<std::uint8_t> success_;
  bool terminated_ = false;
  bool truncated_ = false;
};

struct RecordEpisodeOptions {
  std::filesystem::path folder;         // created if missing
  std::string prefix = "demos";         // files <folder>/<prefix>_00000.hdf5, ...
  std::int64_t episodes_per_file = 50;  // >= 1
  std::string env_id;                   // stored as `task` and env_args.env_name; empty: spec().id
  Dict env_options;                     // stored as env_args.env_kwargs: what make() needs to rebuild the env
  bool overwrite = false;               // replace existing files instead of refusing them
};

class RecordEpisode : public Wrapper {
 public:
  // Throws InvalidArgument for episodes_per_file < 1, an empty folder, or (without overwrite) when the
  // first file name already exists: better now than after the first episode was simulated.
  RecordEpisode(EnvPtr inner, RecordEpisodeOptions options);
  // Finalises the open file like close(), without throwing (errors go to stderr).
  ~RecordEpisode() override;

  ResetResult reset(std::optional<std::uint64_t> seed = std::nullopt, const Dict& options = {}) override;
  StepResult step(const Array& action) override;
  // Drops an unfinished episode, finalises the open file, then closes the inner env. Safe to call twice.
  void close() override;

  // Final files written so far (closed ones only), in order.
  const std::vector<std::filesystem::path>& files() const { return files_; }
  // Episodes written to files, closed or still open.
  std::int64_t episodes_recorded() const { return episodes_; }

 private:
  std::filesystem::path file_path(std::int64_t index) const;
  void finish_file();

  RecordEpisodeOptions options_;
  EpisodeBuffer buffer_;
  std::unique_ptr<DatasetWriter> writer_;
  std::int64_t file_index_ = 0;
  std::int64_t episodes_ = 0;
  std::vector<std::filesystem::path> files_;
  bool closed_ = false;
};

}  // namespace a2w::env
