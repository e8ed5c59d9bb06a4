#include "a2w/bridge/key_map.h"

namespace a2w::bridge {

namespace {

constexpr const char* kImage = "observation/image";
constexpr const char* kWrist = "observation/wrist_image";
constexpr const char* kState = "observation/state";
constexpr const char* kPrompt = "prompt";

const env::Array* array_of(const env::Dict& obs, const char* key) {
  auto it = obs.find(key);
  return it != obs.end() && it->second.is_array() ? &it->second.as_array() : nullptr;
}

}  // namespace

KeyMap parse_key_map(std::string_view name) {
  if (name == "libero") return KeyMap::kLibero;
  if (name == "none") return KeyMap::kNone;
  throw InvalidArgument("key map: expected libero or none, got '" + std::string(name) + "'");
}

std::string_view to_string(KeyMap map) {
  return map == KeyMap::kLibero ? "libero" : "none";
}

Body to_openpi(const env::Dict& obs, KeyMap map) {
  if (map == KeyMap::kNone) return Body(obs);
  Body b;
  if (const auto* a = array_of(obs, "agentview_rgb")) b.set(kImage, *a);
  if (const auto* a = array_of(obs, "eye_in_hand_rgb")) b.set(kWrist, *a);
  const auto* pos = array_of(obs, "ee_pos");
  const auto* ori = array_of(obs, "ee_ori");
  const auto* grip = array_of(obs, "gripper_states");
  if (pos && ori && grip) {
    if (pos->size() != 3 || ori->size() != 3 || grip->size() != 2)
      throw InvalidArgument("LIBERO key map: expected ee_pos[3], ee_ori[3] and gripper_states[2], got " +
                            env::describe(*pos) + ", " + env::describe(*ori) + " and " +
                            env::describe(*grip));
    env::Array state(env::DType::kFloat64, {8});
    auto* s = state.data<double>();
    for (int i = 0; i < 3; ++i) s[i] = pos->at(i);
    for (int i = 0; i < 3; ++i) s[3 + i] = ori->at(i);
    for (int i = 0; i < 2; ++i) s[6 + i] = grip->at(i);
    b.set(kState, state);
  }
  if (auto it = obs.find("instruction"); it != obs.end() && it->second.is_string())
    b.set(kPrompt, it->second);
  return b;
}

env::Dict from_openpi(const env::Dict& obs, KeyMap map) {
  if (map == KeyMap::kNone) return obs;
  env::Dict out;
  for (const auto& [k, v] : obs) {
    if (k == kImage) {
      out["agentview_rgb"] = v;
    } else if (k == kWrist) {
      out["eye_in_hand_rgb"] = v;
    } else if (k == kPrompt) {
      out["instruction"] = v;
    } else if (k == kState && v.is_array() && v.as_array().size() == 8) {
      const env::Array& s = v.as_array();
      auto part = [&](int from, int n) {
        env::Array a(env::DType::kFloat32, {n});
        for (int i = 0; i < n; ++i) a.data<float>()[i] = static_cast<float>(s.at(from + i));
        return a;
      };
      out["ee_pos"] = part(0, 3);
      out["ee_ori"] = part(3, 3);
      out["gripper_states"] = part(6, 2);
    } else {
      out[k] = v;
    }
  }
  return out;
}

}  // namespace a2w::bridge
