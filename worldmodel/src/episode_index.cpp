#include "a2w/wm/episode_index.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>

#include "a2w/env/error.h"
#include "a2w/env/rng.h"

namespace a2w::wm {

namespace {

namespace fs = std::filesystem;

std::vector<std::string> find_files(const std::vector<std::string>& paths) {
  std::vector<std::string> files;
  for (const auto& p : paths) {
    if (!fs::exists(p)) throw NotFound("EpisodeIndex: dataset path " + p + " does not exist");
    if (fs::is_regular_file(p)) {
      files.push_back(p);
      continue;
    }
    std::vector<std::string> found;
    for (const auto& e : fs::recursive_directory_iterator(p))
      if (e.is_regular_file() && e.path().extension() == ".hdf5") found.push_back(e.path().string());
    if (found.empty())
      throw InvalidArgument("EpisodeIndex: expected .hdf5 files under " + p + ", found none");
    std::sort(found.begin(), found.end());
    files.insert(files.end(), found.begin(), found.end());
  }
  return files;
}

std::uint64_t fnv1a(const std::string& s) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s.empty() ? "(none)" : s;
}

env::Array as_f32(const env::Array& a) {
  return a.dtype() == env::DType::kFloat32 ? a : a.astype(env::DType::kFloat32);
}

}  // namespace

EpisodeIndex::EpisodeIndex(const EpisodeIndexOptions& options) : options_(options) {
  if (options.paths.empty())
    throw InvalidArgument("EpisodeIndex: expected at least one dataset path, got none");
  if (!(options.fraction > 0 && options.fraction <= 1))
    throw InvalidArgument("EpisodeIndex: expected a fraction in (0, 1], got " +
                          std::to_string(options.fraction));
  const std::set<std::string> include(options.tasks.begin(), options.tasks.end());
  const std::set<std::string> exclude(options.exclude_tasks.begin(), options.exclude_tasks.end());
  std::set<std::string> all;

  std::vector<Episode> candidates;
  std::vector<std::unique_ptr<env::DatasetReader>> readers;
  std::vector<std::string> files;
  for (const auto& path : find_files(options.paths)) {
    auto reader = std::make_unique<env::DatasetReader>(path);
    const std::string task =
        reader->has_attr("", "task") ? reader->attr_string("task") : std::string("(unknown)");
    all.insert(task);
    if ((!include.empty() && !include.count(task)) || exclude.count(task)) continue;
    const int file = static_cast<int>(files.size());
    for (const auto& demo : reader->demo_names()) {
      Episode e;
      e.file = file;
      e.demo = demo;
      e.task = task;
      if (reader->has_attr(demo, "instruction")) e.instruction = reader->attr_string(demo, "instruction");
      e.length = reader->num_samples(demo);
      if (e.length <= options.action_horizon) continue;
      auto where = [&](const std::string& key) { return path + " " + demo + "/" + key; };
      for (const auto& view : options.view_keys) {
        const std::string key = "obs/" + view;
        if (!reader->has(demo, key))
          throw InvalidArgument("EpisodeIndex: expected camera frames " + where(key) +
                                " (uint8 [T, H, W, 3]), found none");
        const auto shape = reader->shape(demo, key);
        if (shape.size() != 4 || shape[1] != shape[2] || shape[3] != 3 ||
            reader->dtype(demo, key) != env::DType::kUInt8)
          throw InvalidArgument(
              "EpisodeIndex: expected " + where(key) + " to be uint8 [T, S, S, 3] (square frames), got " +
              std::string(env::dtype_name(reader->dtype(demo, key))) + " " + env::shape_str(shape));
        const int size = static_cast<int>(shape[1]);
        if (image_size_ == 0) image_size_ = size;
        if (size != image_size_)
          throw InvalidArgument("EpisodeIndex: frames of " + where(key) + " are " + std::to_string(size) +
                                " px, earlier ones " + std::to_string(image_size_) +
                                " px; one training run needs one frame size");
      }
      e.actions = as_f32(reader->read(demo, "actions"));
      if (e.actions.ndim() != 2 || e.actions.dim(1) != options.action_dim)
        throw InvalidArgument("EpisodeIndex: expected " + where("actions") + " of shape [T, " +
                              std::to_string(options.action_dim) + "], got " + env::describe(e.actions));
      e.rewards = reader->has(demo, "rewards") ? as_f32(reader->read(demo, "rewards"))
                                               : env::Array(env::DType::kFloat32, {e.length});
      e.success = reader->has(demo, "success") ? as_f32(reader->read(demo, "success"))
                                               : env::Array(env::DType::kFloat32, {e.length});
      const env::Shape state_shape{e.length, options.state_dim};
      if (reader->has(demo, "state/vector")) {
        e.state = as_f32(reader->read(demo, "state/vector"));
        e.state_mask = reader->has(demo, "state/mask") ? as_f32(reader->read(demo, "state/mask"))
                                                       : env::Array(env::DType::kFloat32, state_shape);
        if (e.state.shape() != state_shape || e.state_mask.shape() != state_shape)
          throw InvalidArgument("EpisodeIndex: expected " + where("state/vector") +
                                " and state/mask of shape " + env::shape_str(state_shape) +
                                " (env/state.h layout), got " + env::describe(e.state) + " and " +
                                env::describe(e.state_mask));
      } else {
        e.state = env::Array(env::DType::kFloat32, state_shape);
        e.state_mask = env::Array(env::DType::kFloat32, state_shape);
      }
      const env::Shape initial_shape{options.state_dim};
      if (reader->has(demo, "initial_state/vector")) {
        e.initial_state = as_f32(reader->read(demo, "initial_state/vector"));
        if (e.initial_state.shape() != initial_shape)
          throw InvalidArgument("EpisodeIndex: expected " + where("initial_state/vector") + " of shape " +
                                env::shape_str(initial_shape) + " (env/state.h layout), got " +
                                env::describe(e.initial_state));
        e.has_initial_state = true;
      } else {
        e.initial_state = env::Array(env::DType::kFloat32, initial_shape);
        std::memcpy(e.initial_state.raw(), e.state.raw(), e.initial_state.nbytes());
      }
      if (options.successful_only) {
        const float* ok = e.success.data<float>();
        if (std::none_of(ok, ok + e.length, [](float v) { return v > 0.5f; })) continue;
      }
      candidates.push_back(std::move(e));
    }
    files.push_back(path);
    readers.push_back(std::move(reader));
  }
  all_tasks_.assign(all.begin(), all.end());

  // A seeded fraction of each task's episodes: the same seed keeps the same episodes whatever else is loaded.
  std::map<std::string, std::vector<std::size_t>> by_task;
  for (std::size_t i = 0; i < candidates.size(); ++i) by_task[candidates[i].task].push_back(i);
  std::vector<bool> keep(candidates.size(), options.fraction >= 1.0);
  if (options.fraction < 1.0) {
    for (auto& [task, idx] : by_task) {
      env::Rng rng(env::splitmix64(options.seed) ^ fnv1a(task));
      for (std::size_t i = idx.size(); i > 1; --i) std::swap(idx[i - 1], idx[rng.below(i)]);
      const auto n =
          std::max<std::size_t>(1, static_cast<std::size_t>(std::lround(options.fraction * idx.size())));
      for (std::size_t i = 0; i < n && i < idx.size(); ++i) keep[idx[i]] = true;
    }
  }
  // Only files that still hold a kept episode stay open.
  std::vector<int> remap(files.size(), -1);
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    if (!keep[i]) continue;
    auto& e = candidates[i];
    auto& f = remap[static_cast<std::size_t>(e.file)];
    if (f < 0) {
      f = static_cast<int>(files_.size());
      files_.push_back(files[static_cast<std::size_t>(e.file)]);
      readers_.push_back(std::move(readers[static_cast<std::size_t>(e.file)]));
    }
    e.file = f;
    transitions_ += e.length - options.action_horizon;
    episodes_.push_back(std::move(e));
  }
  if (episodes_.empty())
    throw InvalidArgument("EpisodeIndex: no episode left in " + join(options.paths) +
                          " after keeping tasks [" + join(options.tasks) + "] and excluding [" +
                          join(options.exclude_tasks) + "]; tasks found: " + join(all_tasks_));
  std::set<std::string> kept;
  for (const auto& e : episodes_) kept.insert(e.task);
  tasks_.assign(kept.begin(), kept.end());
}

void EpisodeIndex::state_moments(std::vector<double>& count, std::vector<double>& sum,
                                 std::vector<double>& sum_sq) const {
  const auto n = static_cast<std::size_t>(options_.state_dim);
  count.assign(n, 0.0);
  sum.assign(n, 0.0);
  sum_sq.assign(n, 0.0);
  for (const auto& e : episodes_) {
    const float* s = e.state.data<float>();
    const float* m = e.state_mask.data<float>();
    for (std::int64_t t = 0; t < e.length; ++t)
      for (std::size_t j = 0; j < n; ++j) {
        const auto k = static_cast<std::size_t>(t) * n + j;
        if (m[k] <= 0.5f) continue;
        count[j] += 1;
        sum[j] += s[k];
        sum_sq[j] += static_cast<double>(s[k]) * s[k];
      }
  }
}

void EpisodeIndex::state_change_moments(std::vector<double>& count, std::vector<double>& sum_sq) const {
  const auto n = static_cast<std::size_t>(options_.state_dim);
  count.assign(n, 0.0);
  sum_sq.assign(n, 0.0);
  for (const auto& e : episodes_) {
    const float* s = e.state.data<float>();
    const float* m = e.state_mask.data<float>();
    for (std::int64_t t = e.has_initial_state ? 0 : 1; t < e.length; ++t) {
      const float* before = t == 0 ? e.initial_state.data<float>() : s + static_cast<std::size_t>(t - 1) * n;
      for (std::size_t j = 0; j < n; ++j) {
        const auto k = static_cast<std::size_t>(t) * n + j;
        if (m[k] <= 0.5f) continue;
        const double d = static_cast<double>(s[k]) - before[j];
        count[j] += 1;
        sum_sq[j] += d * d;
      }
    }
  }
}

}  // namespace a2w::wm
