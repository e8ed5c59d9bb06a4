#include "a2w/bridge/spec.h"

#include <cmath>

namespace a2w::bridge {

namespace {

using env::Array;
using env::Dict;
using env::DType;
using env::Value;

bool is_float(DType d) {
  return d == DType::kFloat32 || d == DType::kFloat64;
}

// One number when every element is the same (the usual case: [-1, 1] actions, [0, 255] images), else the
// whole array.
Value bound(const Array& a) {
  const std::int64_t n = a.size();
  bool uniform = n > 0;
  for (std::int64_t i = 1; i < n && uniform; ++i) uniform = a.at(i) == a.at(0);
  if (!uniform) return Value(a);
  if (is_float(a.dtype())) return Value(a.at(0));
  if (a.dtype() == DType::kBool) return Value(static_cast<std::int64_t>(a.at(0) != 0));
  return Value(a.at_int(0));
}

const Value& need(const Dict& d, const char* key, const std::string& path) {
  auto it = d.find(key);
  if (it == d.end()) throw InvalidArgument(path + ": expected key '" + key + "', it is missing");
  return it->second;
}

std::int64_t need_int(const Dict& d, const char* key, const std::string& path) {
  const Value& v = need(d, key, path);
  if (!v.is_int()) throw InvalidArgument(path + "." + key + ": expected an integer, got " + env::describe(v));
  return v.as_int();
}

env::Shape shape_of(const Value& v, const std::string& path) {
  env::Shape s;
  if (v.is_array()) {
    const Array& a = v.as_array();
    if (a.ndim() > 1) throw InvalidArgument(path + ": expected a list of sizes, got " + env::describe(v));
    for (std::int64_t i = 0; i < a.size(); ++i) s.push_back(a.at_int(i));
  } else if (v.is_list()) {
    for (const auto& e : v.as_list()) {
      if (!e.is_int() || e.as_int() < 0)
        throw InvalidArgument(path + ": expected non-negative integer sizes, got " + env::describe(e));
      s.push_back(e.as_int());
    }
  } else {
    throw InvalidArgument(path + ": expected a list of sizes, got " + env::describe(v));
  }
  (void)env::numel(s);  // throws on overflow
  return s;
}

Array bound_array(const Value& v, DType dtype, const env::Shape& shape, const std::string& path) {
  if (v.is_number() || v.is_bool()) {
    Array a(DType::kFloat64, shape);
    const double x = v.is_bool() ? (v.as_bool() ? 1.0 : 0.0) : v.as_double();
    for (auto& e : a.span<double>()) e = x;
    return a.astype(dtype);
  }
  if (v.is_array()) {
    const Array& a = v.as_array();
    if (a.shape() != shape)
      throw InvalidArgument(path + ": expected bounds of shape " + env::shape_str(shape) + ", got " +
                            env::describe(v));
    return a.astype(dtype);
  }
  throw InvalidArgument(path + ": expected a number or an array, got " + env::describe(v));
}

}  // namespace

Value space_to_wire(const env::Space& space) {
  if (const auto* b = dynamic_cast<const env::Box*>(&space)) {
    env::List shape;
    for (auto d : b->shape()) shape.emplace_back(d);
    return Dict{{"type", "Box"},
                {"dtype", std::string(env::numpy_dtype(b->dtype()))},
                {"shape", shape},
                {"low", bound(b->low())},
                {"high", bound(b->high())}};
  }
  if (const auto* d = dynamic_cast<const env::Discrete*>(&space))
    return Dict{{"type", "Discrete"}, {"n", d->n()}, {"start", d->start()}};
  if (const auto* m = dynamic_cast<const env::MultiDiscrete*>(&space))
    return Dict{{"type", "MultiDiscrete"},
                {"nvec", Array::from(m->nvec(), {static_cast<std::int64_t>(m->nvec().size())})}};
  if (const auto* m = dynamic_cast<const env::MultiBinary*>(&space))
    return Dict{{"type", "MultiBinary"}, {"n", m->n()}};
  if (const auto* t = dynamic_cast<const env::Text*>(&space))
    return Dict{{"type", "Text"}, {"max_length", t->max_length()}, {"min_length", t->min_length()}};
  if (const auto* d = dynamic_cast<const env::DictSpace*>(&space)) {
    Dict spaces;
    for (const auto& [k, s] : d->spaces()) spaces[k] = space_to_wire(*s);
    return Dict{{"type", "Dict"}, {"spaces", spaces}};
  }
  if (const auto* t = dynamic_cast<const env::TupleSpace*>(&space)) {
    env::List spaces;
    for (const auto& s : t->spaces()) spaces.push_back(space_to_wire(*s));
    return Dict{{"type", "Tuple"}, {"spaces", spaces}};
  }
  throw InvalidArgument("space_to_wire: unsupported space " + space.str());
}

env::SpacePtr space_from_wire(const Value& v, const std::string& path) {
  if (!v.is_dict())
    throw InvalidArgument(path + ": expected a space (a map with a type), got " + env::describe(v));
  const Dict& d = v.as_dict();
  const Value& type = need(d, "type", path);
  if (!type.is_string()) throw InvalidArgument(path + ".type: expected a str, got " + env::describe(type));
  const std::string& t = type.as_string();
  if (t == "Box") {
    const Value& dt = need(d, "dtype", path);
    if (!dt.is_string()) throw InvalidArgument(path + ".dtype: expected a str, got " + env::describe(dt));
    const DType dtype = env::parse_dtype(dt.as_string());
    const env::Shape shape = shape_of(need(d, "shape", path), path + ".shape");
    return env::box(bound_array(need(d, "low", path), dtype, shape, path + ".low"),
                    bound_array(need(d, "high", path), dtype, shape, path + ".high"));
  }
  if (t == "Discrete")
    return env::discrete(need_int(d, "n", path), d.count("start") ? need_int(d, "start", path) : 0);
  if (t == "MultiDiscrete") {
    const env::Shape nvec = shape_of(need(d, "nvec", path), path + ".nvec");
    return std::make_shared<env::MultiDiscrete>(std::vector<std::int64_t>(nvec.begin(), nvec.end()));
  }
  if (t == "MultiBinary") return std::make_shared<env::MultiBinary>(need_int(d, "n", path));
  if (t == "Text")
    return env::text(need_int(d, "max_length", path),
                     d.count("min_length") ? need_int(d, "min_length", path) : 0);
  if (t == "Dict") {
    const Value& s = need(d, "spaces", path);
    if (!s.is_dict()) throw InvalidArgument(path + ".spaces: expected a map, got " + env::describe(s));
    std::vector<std::pair<std::string, env::SpacePtr>> spaces;
    for (const auto& [k, sub] : s.as_dict()) spaces.emplace_back(k, space_from_wire(sub, path + "." + k));
    return env::dict(std::move(spaces));
  }
  if (t == "Tuple") {
    const Value& s = need(d, "spaces", path);
    if (!s.is_list()) throw InvalidArgument(path + ".spaces: expected a list, got " + env::describe(s));
    std::vector<env::SpacePtr> spaces;
    for (std::size_t i = 0; i < s.as_list().size(); ++i)
      spaces.push_back(space_from_wire(s.as_list()[i], path + "[" + std::to_string(i) + "]"));
    return std::make_shared<env::TupleSpace>(std::move(spaces));
  }
  throw InvalidArgument(
      path + ".type: expected Box, Discrete, MultiDiscrete, MultiBinary, Text, Dict or Tuple, got '" + t +
      "'");
}

Dict spec_to_wire(const ServedSpec& spec) {
  Dict d{{"id", spec.env.id},
         {"action_horizon", spec.action_horizon},
         {"control_hz", spec.env.control_hz},
         {"max_episode_steps", spec.env.max_episode_steps},
         {"num_envs", spec.num_envs},
         {"vector_env", spec.vector_env},
         {"metadata", spec.env.metadata}};
  if (spec.env.observation_space) d["observation_space"] = space_to_wire(*spec.env.observation_space);
  if (spec.env.action_space) d["action_space"] = space_to_wire(*spec.env.action_space);
  return d;
}

ServedSpec spec_from_wire(const Value& v) {
  if (!v.is_dict()) throw InvalidArgument("spec: expected a map, got " + env::describe(v));
  const Dict& d = v.as_dict();
  ServedSpec s;
  s.env.id = env::get_or(d, "id", "");
  s.action_horizon = env::get_or(d, "action_horizon", std::int64_t{1});
  s.env.control_hz = env::get_or(d, "control_hz", 0.0);
  s.env.max_episode_steps = env::get_or(d, "max_episode_steps", std::int64_t{0});
  s.num_envs = static_cast<int>(env::get_or(d, "num_envs", std::int64_t{1}));
  s.vector_env = env::get_or(d, "vector_env", s.num_envs > 1);
  if (auto it = d.find("metadata"); it != d.end() && it->second.is_dict())
    s.env.metadata = it->second.as_dict();
  if (auto it = d.find("observation_space"); it != d.end() && !it->second.is_none())
    s.env.observation_space = space_from_wire(it->second, "spec.observation_space");
  if (auto it = d.find("action_space"); it != d.end() && !it->second.is_none())
    s.env.action_space = space_from_wire(it->second, "spec.action_space");
  if (s.action_horizon < 1 || s.num_envs < 1)
    throw InvalidArgument("spec: expected action_horizon >= 1 and num_envs >= 1, got " +
                          std::to_string(s.action_horizon) + " and " + std::to_string(s.num_envs));
  return s;
}

}  // namespace a2w::bridge
