#pragma once
// Bring your own policy: any TorchScript module with the signature below loads as an env::Policy and steps
// physics tasks and A2World-sim alike (load_policy() in policy_loader.h picks it for TorchScript files, and
// `a2w rollout --policy my_policy.pt` takes it).
//
// forward(agentview_rgb, eye_in_hand_rgb, proprio) -> actions
//   agentview_rgb    uint8   [B, H, W, 3]  the agent-view camera, RGB, row 0 the top of the image
//   eye_in_hand_rgb  uint8   [B, H, W, 3]  the wrist camera
//   proprio          float32 [B, 8]        ee_pos (3), ee_ori (3, axis-angle), gripper_states (2), in that
//   order actions          float32 [B, 7] or [B, Ha, 7]: one action or a chunk of Ha per row, each value
//   meant to be
//                    in [-1, 1] ([dx, dy, dz, droll, dpitch, dyaw, gripper], gripper -1 open, +1 closed);
//                    a2w clips to [-1, 1] and refuses NaN or infinity
// A chunk is executed step by step by the rollout before the policy is asked again. Row b of the output must
// depend on row b of the inputs only.
//
// Optional module attribute (int): image_size. When set, frames of another size are resized to it (area
// average when shrinking, bilinear when growing) before forward; without it frames are passed at the env's
// size.
//
// In Python (tests/worldmodel/export_torchscript_policies.py is a complete example):
//   class MyPolicy(torch.nn.Module):
//       def __init__(self):
//           super().__init__()
//           self.image_size: int = 64
//       def forward(self, agentview_rgb: torch.Tensor, eye_in_hand_rgb: torch.Tensor,
//                   proprio: torch.Tensor) -> torch.Tensor:
//           ...
//           return actions            # float32 [B, 7] or [B, Ha, 7]
//   torch.jit.script(MyPolicy()).save("my_policy.pt")
//
// Loading checks the forward schema (3 tensor inputs, one tensor output) before running anything, then,
// when the frame size is known (the image_size attribute, or the env's observation space), runs one
// forward on zeros at batch 2 and checks the output's dtype and shape. A module that does not fit is refused
// with an InvalidArgument naming the file, the expected inputs and outputs, and what came.

#include <torch/torch.h>

#include <memory>
#include <string>

#include "a2w/env/policy.h"

namespace a2w::wm {

// The documented signature, as quoted in error messages.
extern const char* const kTorchScriptPolicySignature;

// image_size_hint: the env's frame size for the trial forward (0: unknown; the module's image_size attribute
// wins). Throws InvalidArgument as described above, NotFound for a missing file.
std::unique_ptr<env::Policy> load_torchscript_policy(const std::string& path,
                                                     torch::Device device = torch::kCPU,
                                                     int image_size_hint = 0);

}  // namespace a2w::wm
