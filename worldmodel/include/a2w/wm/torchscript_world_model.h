#pragma once
// Bring your own model: any TorchScript module with the signature below stands in for the built-in A2World
// network inside A2World-sim (WorldModelEnv), on CPU or CUDA. load_world_model() calls this for files that
// are TorchScript archives (zip, "PK"); a2w-sim ids and `a2w rollout --checkpoint` take them too.
//
// forward(context, anchor, actions, task, noise) -> (frames, state, success_logit, reward)
//   context        float32 [B, V, K, 3, H, W]  the K most recent frames per view, oldest first, in [-1, 1]
//   anchor         float32 [B, V, 3, H, W]     the episode's first frame per view, in [-1, 1]
//   actions        float32 [B, Ha, A]          action chunk, each value in [-1, 1]
//   task           int64   [B]                 row of the module's `tasks` list, -1 for none
//   noise          float32 [B, V, 3, H, W]     standard normal noise drawn from each row's seed alone (on the
//                                              CPU, then moved), for a sampler that needs it; may be ignored
//   frames         float32 [B, V, 3, H, W]     the next frame per view, in [-1, 1] (a2w clamps it and
//                                              quantises it to uint8)
//   state          float32 [B, S]              the next state vector, env/state.h layout (S = 32 for
//   A2World-sim) success_logit  float32 [B]                 logit of "the task's success predicate holds
//   after the step" reward         float32 [B]                 the step's reward
// Pixels map as x = u8 / 127.5 - 1 (and back with rounding); channels RGB, row 0 the top of the image. Row b
// of every output must depend on row b of the inputs only, so an episode imagines the same in any batch.
//
// Module attributes read at load (ints unless said): image_size (H = W), views (V), context_frames (K),
// action_horizon (Ha), action_dim (A, 7 for the a2w tasks), state_dim (S); optional: view_keys (List[str],
// default ["agentview_rgb", "eye_in_hand_rgb"][:views]) and tasks (List[str], the task ids of `task`'s rows,
// default none).
//
// In Python (tests/worldmodel/export_torchscript_models.py is a complete example):
//   class MyWorldModel(torch.nn.Module):
//       def __init__(self):
//           super().__init__()
//           self.image_size: int = 64      # set on the instance, so that TorchScript keeps them
//           self.views: int = 2
//           self.context_frames: int = 2
//           self.action_horizon: int = 1
//           self.action_dim: int = 7
//           self.state_dim: int = 32
//       def forward(self, context, anchor, actions, task, noise):
//           ...
//           return frames, state, success_logit, reward
//   torch.jit.script(MyWorldModel()).save("my_model.pt")
//
// Loading checks the attributes and the forward schema (5 tensor inputs), then runs one forward on zeros
// (batch 2) and checks every output's dtype and shape. A module that does not fit is refused with an
// InvalidArgument naming the file, the expected inputs, outputs and attributes, and what came.

#include <torch/torch.h>

#include <memory>
#include <string>

#include "a2w/wm/world_model.h"

namespace a2w::wm {

std::shared_ptr<WorldModel> load_torchscript_world_model(const std::string& path,
                                                         torch::Device device = torch::kCPU);

}  // namespace a2w::wm
