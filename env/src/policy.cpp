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

}  // namespace

RandomPolicy::RandomPolicy(SpacePtr action_space, std::uint64_t seed)
    : space_(std::move(action_space)), rng_(seed) {
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
  // Rows in order from one stream: row i's action depends on the seed and on i, never on threads.
  for (std::int64_t i = 0; i < b; ++i) out.row(i).copy_from(box.sample(rng_).as_array());
  return out;
}

NoisyPolicy::NoisyPolicy(std::unique_ptr<Policy> inner, double stddev, std::uint64_t seed)
    : inner_(std::move(inner)), stddev_(stddev), rng_(seed) {
  if (!inner_) throw InvalidArgument("NoisyPolicy: expected a policy, got null");
  if (!(stddev >= 0.0) || !std::isfinite(stddev))
    throw InvalidArgument("NoisyPolicy: expected a noise stddev >= 0, got " + std::to_string(stddev));
}

std::string NoisyPolicy::name() const {
  return inner_->name() + "@" + std::to_string(stddev_);
}

Array NoisyPolicy::act(const Dict& obs) {
  Array out = inner_->act(obs).clone();  // the inner policy may hand out a view of its own buffer
  if (out.dtype() != DType::kFloat32)
    throw InvalidArgument("NoisyPolicy: expected float32 actions from " + inner_->name());
  float* a = out.data<float>();
  for (std::int64_t i = 0; i < out.size(); ++i)
    a[i] = static_cast<float>(std::clamp(static_cast<double>(a[i]) + stddev_ * rng_.normal(), -1.0, 1.0));
  return out;
}

}  // namespace a2w::env
