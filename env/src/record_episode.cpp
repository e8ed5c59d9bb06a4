#include "a2w/env/record_episode.h"

#include <cstdio>
#include <cstring>
#include <iostream>
#include <set>
#include <utility>

#include "a2w/env/error.h"

namespace a2w::env {

namespace {

constexpr std::string_view kStatePrefix = "state/";

std::string join(const std::set<std::string>& keys) {
  std::string out;
  for (const auto& k : keys) out += (out.empty() ? "" : ", ") + k;
  return out.empty() ? "(none)" : out;
}

// [n, ...] from n arrays of one dtype and shape (checked by the caller as they came).
Array stack(const std::vector<Array>& rows) {
  Shape shape{static_cast<std::int64_t>(rows.size())};
  shape.insert(shape.end(), rows.front().shape().begin(), rows.front().shape().end());
  Array out(rows.front().dtype(), shape);
  auto* dst = static_cast<std::byte*>(out.raw());
  for (const Array& r : rows) {
    std::memcpy(dst, r.raw(), r.nbytes());
    dst += r.nbytes();
  }
  return out;
}

// Appends `a` to `series`, refusing a dtype or shape other than the episode's first one: a dataset has a
// single shape, and finding out at the end of an episode would lose the episode's context.
void push(std::vector<Array>& series, Array a, const std::string& what, std::int64_t step) {
  if (!series.empty()) {
    const Array& first = series.front();
    if (a.dtype() != first.dtype() || a.shape() != first.shape())
      throw InvalidArgument("EpisodeBuffer: " + what + " at step " + std::to_string(step) + " is " +
                            std::string(dtype_name(a.dtype())) + " " + shape_str(a.shape()) + ", expected " +
                            std::string(dtype_name(first.dtype())) + " " + shape_str(first.shape()) +
                            " as at step 0");
  }
  series.push_back(std::move(a));
}

// Adds one step's arrays (key -> value) to the per-key series, checking the set of keys stays the same.
void push_all(std::map<std::string, std::vector<Array>>& series, std::map<std::string, Array> arrays,
              const std::string& what, std::int64_t step) {
  if (step > 0) {
    std::set<std::string> expected, got;
    for (const auto& [k, v] : series) expected.insert(k);
    for (const auto& [k, v] : arrays) got.insert(k);
    if (expected != got)
      throw InvalidArgument("EpisodeBuffer: " + what + " keys at step " + std::to_string(step) + " are {" +
                            join(got) + "}, expected {" + join(expected) + "} as at step 0");
  }
  for (auto& [k, v] : arrays) push(series[k], std::move(v), what + " '" + k + "'", step);
}

std::map<std::string, Array> state_arrays(const Dict& info) {
  std::map<std::string, Array> out;
  for (const auto& [k, v] : info)
    if (k.size() > kStatePrefix.size() && k.starts_with(kStatePrefix) && v.is_array())
      out.emplace(k.substr(kStatePrefix.size()), v.as_array().clone());
  return out;
}

}  // namespace

// ------------------------------------------------------------------------------------------ EpisodeBuffer

void EpisodeBuffer::clear() {
  active_ = false;
  seed_.reset();
  instruction_.clear();
  current_obs_.clear();
  obs_.clear();
  state_.clear();
  initial_state_.clear();
  actions_.clear();
  rewards_.clear();
  success_.clear();
  terminated_ = truncated_ = false;
}

void EpisodeBuffer::begin(const Dict& obs, const Dict& info, std::optional<std::uint64_t> seed) {
  clear();
  active_ = true;
  seed_ = seed;
  initial_state_ = state_arrays(info);
  for (const auto& [k, v] : obs)
    if (v.is_array()) current_obs_.emplace(k, v.as_array().clone());
  // The instruction is an observation in a2w tasks; some envs only report it in the info.
  if (auto it = obs.find("instruction"); it != obs.end() && it->second.is_string()) {
    instruction_ = it->second.as_string();
  } else if (auto jt = info.find("instruction"); jt != info.end() && jt->second.is_string()) {
    instruction_ = jt->second.as_string();
  }
}

void EpisodeBuffer::add(const Array& action, const StepResult& result) {
  if (!active_) throw Error("EpisodeBuffer::add: expected begin() (a reset) before a step, got none");
  const std::int64_t step = steps();
  {
    std::map<std::string, Array> obs;
    for (auto& [k, v] : current_obs_) obs.emplace(k, v.as_array());
    push_all(obs_, std::move(obs), "observation", step);
  }
  push(actions_, action.clone().reshape(Shape{action.size()}), "action", step);
  rewards_.push_back(static_cast<float>(result.reward));
  const auto success = result.info.find("success");
  success_.push_back(
      success != result.info.end() && !success->second.is_none() && success->second.as_bool() ? 1 : 0);
  push_all(state_, state_arrays(result.info), "info state/", step);
  current_obs_.clear();
  for (const auto& [k, v] : result.obs)
    if (v.is_array()) current_obs_.emplace(k, v.as_array().clone());
  terminated_ = result.terminated;
  truncated_ = result.truncated;
}

Demo EpisodeBuffer::finish() {
  if (!active_ || actions_.empty())
    throw Error("EpisodeBuffer::finish: expected an episode with at least one step, got " +
                std::string(active_ ? "none" : "no episode"));
  Demo demo;
  const auto T = static_cast<std::int64_t>(actions_.size());
  demo.actions = stack(actions_);
  demo.rewards = Array::from(rewards_, Shape{T});
  demo.success = Array::from(success_, Shape{T});
  for (const auto& [k, series] : obs_) demo.obs.emplace(k, stack(series));
  for (const auto& [k, series] : state_) demo.state.emplace(k, stack(series));
  // Only with per-step state: the initial state is the row before them.
  if (!state_.empty()) demo.initial_state = std::move(initial_state_);
  demo.seed = seed_.value_or(0);
  demo.seeded = seed_.has_value();
  demo.instruction = instruction_;
  demo.terminated = terminated_;
  demo.truncated = truncated_;
  clear();
  return demo;
}

// ------------------------------------------------------------------------------------------ RecordEpisode

RecordEpisode::RecordEpisode(EnvPtr inner, RecordEpisodeOptions options)
    : Wrapper(std::move(inner)), options_(std::move(options)) {
  if (options_.episodes_per_file < 1)
    throw InvalidArgument("RecordEpisode: expected episodes_per_file >= 1, got " +
                          std::to_string(options_.episodes_per_file));
  if (options_.folder.empty())
    throw InvalidArgument("RecordEpisode: expected an output folder, got an empty path");
  if (options_.prefix.empty() || options_.prefix.find('/') != std::string::npos)
    throw InvalidArgument("RecordEpisode: expected a file prefix without '/', got '" + options_.prefix + "'");
  if (options_.env_id.empty()) options_.env_id = inner_->spec().id;
  std::error_code ec;
  std::filesystem::create_directories(options_.folder, ec);
  if (ec)
    throw Error("RecordEpisode: could not create the folder " + options_.folder.string() + ": " +
                ec.message());
  if (!options_.overwrite && std::filesystem::exists(file_path(0)))
    throw InvalidArgument(
        "RecordEpisode: " + file_path(0).string() +
        " already exists; expected a new folder or prefix (or set overwrite to replace it)");
}

RecordEpisode::~RecordEpisode() {
  if (closed_) return;
  try {
    buffer_.clear();
    if (writer_) finish_file();
  } catch (const std::exception& e) {
    std::cerr << "a2w RecordEpisode: finishing " << file_path(file_index_ - 1).string()
              << " failed: " << e.what() << "\n";
  }
}

std::filesystem::path RecordEpisode::file_path(std::int64_t index) const {
  char num[32];
  std::snprintf(num, sizeof num, "_%05lld.hdf5", static_cast<long long>(index));
  return options_.folder / (options_.prefix + num);
}

void RecordEpisode::finish_file() {
  // Moved out first: whether close() succeeds or not, the next episode goes to the next file.
  std::unique_ptr<DatasetWriter> writer = std::move(writer_);
  ++file_index_;
  writer->close();
  files_.push_back(writer->path());
}

ResetResult RecordEpisode::reset(std::optional<std::uint64_t> seed, const Dict& options) {
  if (closed_) throw Error("RecordEpisode::reset: expected an open env, got one that was closed");
  ResetResult r = inner_->reset(seed, options);
  buffer_.begin(r.obs, r.info, seed);  // drops an unfinished episode
  return r;
}

StepResult RecordEpisode::step(const Array& action) {
  if (closed_) throw Error("RecordEpisode::step: expected an open env, got one that was closed");
  StepResult r = inner_->step(action);
  if (!buffer_.active()) return r;  // the inner env accepted a step without reset: nothing to attach it to
  buffer_.add(action, r);
  if (r.terminated || r.truncated) {
    Demo demo = buffer_.finish();
    if (!writer_)
      writer_ = std::make_unique<DatasetWriter>(
          file_path(file_index_),
          DatasetWriterOptions{options_.env_id, clone(options_.env_options), options_.overwrite});
    writer_->append(demo);
    ++episodes_;
    if (writer_->num_demos() >= options_.episodes_per_file) finish_file();
  }
  return r;
}

void RecordEpisode::close() {
  if (closed_) return;
  closed_ = true;
  buffer_.clear();
  try {
    if (writer_) finish_file();
  } catch (...) {
    inner_->close();
    throw;
  }
  inner_->close();
}

}  // namespace a2w::env
