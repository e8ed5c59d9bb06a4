#pragma once
// The spec a server sends in its hello reply: what it serves, in terms a Python client can rebuild as
// Gymnasium spaces.
//
//   {"id": "a2w/LiftCube-v0",
//    "observation_space": {"type": "Dict", "spaces": {"ee_pos": {"type": "Box", "dtype": "<f4", "shape": [3],
//                                                                 "low": -inf, "high": inf}, ...}},
//    "action_space": {"type": "Box", "dtype": "<f4", "shape": [7], "low": -1.0, "high": 1.0},
//    "action_horizon": 1, "control_hz": 20.0, "max_episode_steps": 200, "num_envs": 1, "vector_env": false,
//    "metadata": {...}}
//
// Spaces: Box {dtype, shape, low, high} (bounds are one number when every element has the same bound, an
// ndarray otherwise), Discrete {n, start}, MultiDiscrete {nvec}, MultiBinary {n}, Text {min_length,
// max_length}, Dict {spaces: {name: space}}, Tuple {spaces: [space]}; each with its "type".

#include <cstdint>

#include "a2w/env/env.h"

namespace a2w::bridge {

struct ServedSpec {
  env::EnvSpec env;                 // id, spaces (may be null when a policy server does not know them), ...
  std::int64_t action_horizon = 1;  // H of the [H, D] action chunks a policy returns (1: single actions)
  int num_envs = 1;                 // env servers: envs per session
  bool vector_env = false;          // env servers: sessions hold a VectorEnv (batched replies), even of 1
};

env::Dict spec_to_wire(const ServedSpec& spec);
// Throws InvalidArgument naming the part that is wrong.
ServedSpec spec_from_wire(const env::Value& v);

env::Value space_to_wire(const env::Space& space);
env::SpacePtr space_from_wire(const env::Value& v, const std::string& path = "space");

}  // namespace a2w::bridge
