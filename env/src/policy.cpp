#include "a2w/env/policy.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace a2w::env {

namespace {

// The batch size of a batch Dict: the leading dim of its first array, or the length of its first text list.
std::int64_t batch_size(const Dict& obs) {
  for (const auto& [key, v] : obs) {
    if (v.is_array() && v.as_array().valid() && v.as_array().ndim() > 0) return v.as_array().dim(0);
    if (v.is_list()) return static_cast<std::int64_t>(v.as_list().size());
    if (v.is_dict()) {
      const std::int64_t n = batch_size(v.as_dict());
      if (n >= 0) return n;
    }
  }
  return -1;
}

// Distinct from the other uses of an episode seed (the env's own draws, its action noise): a policy's
// stream must not repeat the env's.
constexpr std::uint64_t kPolicyStream = 0x6A09E667F3BCC909ull;

}  // namespace

void RowStreams::grow(std::size_t n) {
  for (std::size_t i = rows_.size(); i < n; ++i) {
    rows_.emplace_back(episode_seed(seed_ ^ kPolicyStream, i, 0));
    begun_.push_back(0);
  }
}

void RowStreams::reset(const std::vector<bool>& mask, const std::vector<std::uint64_t>* seeds) {
  grow(mask.size());
  for (std::size_t i = 0; i < mask.size(); ++i) {
    if (!mask[i]) continue;
    ++begun_[i];
    rows_[i].reseed(seeds && i < seeds->size() ? splitmix64(splitmix64(seed_ ^ kPolicyStream) ^ (*seeds)[i])
                                               : episode_seed(seed_ ^ kPolicyStream, i, begun_[i]));
  }
}

Rng& RowStreams::row(std::int64_t i, std::int64_t rows) {
  grow(static_cast<std::size_t>(rows));
  return rows_[static_cast<std::size_t>(i)];
}

RandomPolicy::RandomPolicy(SpacePtr action_space, std::uint64_t seed)
    : space_(std::move(action_space)), streams_(seed) {
  if (!space_ || !dynamic_cast<const Box*>(space_.get()))
    throw InvalidArgument("RandomPolicy: expected a Box action space, got " +
                          (space_ ? space_->str() : "null"));
}

Array RandomPolicy::act(const Dict& obs) {
  const std::int64_t b = batch_size(obs);
  if (b < 0)
    throw InvalidArgument("RandomPolicy: expected a batch of observations, got no array or text in it");
  const Box& box = static_cast<const Box&>(*space_);
  Shape shape = box.shape();
  shape.insert(shape.begin(), b);
  Array out(box.dtype(), shape);
  for (std::int64_t i = 0; i < b; ++i) out.row(i).copy_from(box.sample(streams_.row(i, b)).as_array());
  return out;
}

NoisyPolicy::NoisyPolicy(std::unique_ptr<Policy> inner, double stddev, std::uint64_t seed)
    : inner_(std::move(inner)), stddev_(stddev), streams_(seed) {
  if (!inner_) throw InvalidArgument("NoisyPolicy: expected a policy, got null");
  if (!(stddev >= 0.0) || !std::isfinite(stddev))
    throw InvalidArgument("NoisyPolicy: expected a noise stddev >= 0, got " + std::to_string(stddev));
}

std::string NoisyPolicy::name() const {
  return inner_->name() + "@" + std::to_string(stddev_);
}

void NoisyPolicy::reset(const std::vector<bool>& mask) {
  streams_.reset(mask, nullptr);
  inner_->reset(mask);
}

void NoisyPolicy::reset(const std::vector<bool>& mask, const std::vector<std::uint64_t>& seeds) {
  streams_.reset(mask, &seeds);
  inner_->reset(mask, seeds);
}

Array NoisyPolicy::act(const Dict& obs) {
  const std::int64_t b = batch_size(obs);
  return act_rows(obs, std::vector<bool>(static_cast<std::size_t>(std::max<std::int64_t>(b, 0)), true));
}

Array NoisyPolicy::act_rows(const Dict& obs, const std::vector<bool>& wanted) {
  Array out =
      inner_->act_rows(obs, wanted).clone();  // the inner policy may hand out a view of its own buffer
  if (out.dtype() != DType::kFloat32)
    throw InvalidArgument("NoisyPolicy: expected float32 actions from " + inner_->name());
  if (out.ndim() < 1 || out.size() == 0) return out;
  const std::int64_t rows = out.dim(0), per_row = out.size() / rows;
  float* a = out.data<float>();
  for (std::int64_t r = 0; r < rows; ++r) {
    // A row that discards this output keeps its stream where it is: its episode's noise stays its own.
    if (static_cast<std::size_t>(r) < wanted.size() && !wanted[static_cast<std::size_t>(r)]) continue;
    Rng& rng = streams_.row(r, rows);
    for (std::int64_t j = r * per_row; j < (r + 1) * per_row; ++j)
      a[j] = static_cast<float>(std::clamp(static_cast<double>(a[j]) + stddev_ * rng.normal(), -1.0, 1.0));
  }
  return out;
}

}  // namespace a2w::env
