#pragma once
// The registry: ids ("a2w/LiftCube-v0", "a2w-sim/LiftCube-v0", "user/Mine-v0") to env factories.
//
//   auto env = a2w::make("a2w/LiftCube-v0", {{"image_size", 64}});
//
// Modules register what they provide (tasks/ its task files, worldmodel/ its A2World-sim ids); an unknown
// id throws NotFound listing the closest registered ids.

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "a2w/env/env.h"

namespace a2w {

using EnvFactory = std::function<env::EnvPtr(const env::Dict& options)>;

struct EnvRegistration {
  std::string id;
  std::string description;  // one line, shown by `a2w tasks list`
  EnvFactory factory;
};

// Adds or replaces an id. Thread safe.
void register_env(EnvRegistration registration);
// Builds the env; throws NotFound for an unknown id (with close matches) and whatever the factory throws
// for bad options.
env::EnvPtr make(std::string_view id, const env::Dict& options = {});
bool is_registered(std::string_view id);
// Sorted ids.
std::vector<std::string> registered_ids();
// The registration of `id` (throws NotFound like make()); the reference is valid until `id` is registered
// again.
const EnvRegistration& registration(std::string_view id);
// Up to `n` registered ids closest to `id` by edit distance (case-insensitive).
std::vector<std::string> close_matches(std::string_view id, std::size_t n = 3);

}  // namespace a2w
