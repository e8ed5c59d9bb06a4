#include "a2w/env/policy.h"

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

}  // namespace a2w::env
