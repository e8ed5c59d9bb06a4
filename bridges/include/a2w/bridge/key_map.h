#pragma once
// Key maps: how a2w observation keys become the keys an OpenPI policy expects, and back.
//
// OpenPI policies name their inputs per training config. The LIBERO map is the one openpi's LIBERO example
// (examples/libero/main.py) sends, so an unmodified pi0/pi0.5 LIBERO server accepts a2w observations:
//
//   OpenPI key                  a2w observation
//   observation/image       <-  agentview_rgb      uint8 [H, W, 3] (a2w renders row 0 at the top: no flip)
//   observation/wrist_image <-  eye_in_hand_rgb    uint8 [H, W, 3]
//   observation/state       <-  concat(ee_pos[3], ee_ori[3] axis-angle, gripper_states[2]) as float64 [8]
//   prompt                  <-  instruction
//
// Images are sent at the env's size: make the env render 224x224 (--image-size 224) for policies trained on
// LIBERO's 224x224 inputs; a2w does not resize. Keys an env lacks are left out.
//
// The reverse direction (an OpenPI client calling an a2w policy) splits observation/state back into
// ee_pos, ee_ori and gripper_states (float32) and renames the rest; keys not in the map pass unchanged.

#include <string_view>

#include "a2w/bridge/body.h"
#include "a2w/env/value.h"

namespace a2w::bridge {

enum class KeyMap { kNone, kLibero };

// "libero" or "none"; throws InvalidArgument listing them.
KeyMap parse_key_map(std::string_view name);
std::string_view to_string(KeyMap map);

// One a2w observation (not a batch) as the body an OpenPI policy expects.
Body to_openpi(const env::Dict& obs, KeyMap map);
// One OpenPI observation with a2w keys.
env::Dict from_openpi(const env::Dict& obs, KeyMap map);

}  // namespace a2w::bridge
