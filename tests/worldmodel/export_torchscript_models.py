#!/usr/bin/python3
"""Exports small TorchScript world models for test_torchscript.cpp (and as a template for bringing your own).

    /usr/bin/python3 tests/worldmodel/export_torchscript_models.py OUT_DIR

Writes into OUT_DIR:
  copy_last.pt      the documented signature (worldmodel/include/a2w/wm/torchscript_world_model.h): the next
                    frame is the last context frame, the state a constant (0.01 * index), success logit and
                    reward constants
  noisy.pt          the same plus 0.5 * noise on the frames, to check that each row's noise comes from its seed
  bad_signature.pt  forward(x) -> x: must be refused
  state31.pt        a consistent module whose state has 31 floats: loads, but A2World-sim refuses it
  three_outputs.pt  the right inputs but three outputs: must be refused
  no_attributes.pt  the right forward but no image_size etc.: must be refused

Needs Debian's python3-torch (/usr/bin/python3); exits 3 with a message when torch is missing.
"""
import os
import sys

try:
    import torch
except ImportError:
    sys.stderr.write("export_torchscript_models.py: python3 has no torch module; install python3-torch "
                     "(apt-get install python3-torch) and run it with /usr/bin/python3\n")
    sys.exit(3)

from typing import List, Tuple


class CopyLast(torch.nn.Module):
    """The smallest world model with the documented signature."""

    def __init__(self, noise_scale: float = 0.0, state_dim: int = 32):
        super().__init__()
        # Attributes a2w reads at load (set on the instance so that TorchScript keeps them).
        self.image_size: int = 32
        self.views: int = 2
        self.context_frames: int = 2
        self.action_horizon: int = 1
        self.action_dim: int = 7
        self.state_dim: int = state_dim
        self.view_keys: List[str] = ["agentview_rgb", "eye_in_hand_rgb"]
        self.tasks: List[str] = ["a2w/LiftCube-v0"]
        self.noise_scale: float = noise_scale
        self.register_buffer("state_value", torch.arange(state_dim, dtype=torch.float32) * 0.01)

    def forward(self, context: torch.Tensor, anchor: torch.Tensor, actions: torch.Tensor, task: torch.Tensor,
                noise: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        b = context.shape[0]
        frames = context[:, :, -1] + self.noise_scale * noise
        state = self.state_value.unsqueeze(0).expand(b, self.state_dim).contiguous()
        # Success logit from the gripper action: +1 closes -> logit +10, so a test can steer the head.
        success_logit = actions[:, 0, 6] * 10.0
        reward = actions[:, 0, 0] + task.to(torch.float32)
        return frames, state, success_logit, reward


class BadSignature(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.image_size: int = 32
        self.views: int = 2
        self.context_frames: int = 2
        self.action_horizon: int = 1
        self.action_dim: int = 7
        self.state_dim: int = 32

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x


class ThreeOutputs(CopyLast):
    def forward(self, context: torch.Tensor, anchor: torch.Tensor, actions: torch.Tensor, task: torch.Tensor,
                noise: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        b = context.shape[0]
        return context[:, :, -1], torch.zeros(b, 32), torch.zeros(b)


class NoAttributes(torch.nn.Module):
    def forward(self, context: torch.Tensor, anchor: torch.Tensor, actions: torch.Tensor, task: torch.Tensor,
                noise: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        b = context.shape[0]
        return context[:, :, -1], torch.zeros(b, 32), torch.zeros(b), torch.zeros(b)


def main() -> int:
    if len(sys.argv) != 2:
        sys.stderr.write(__doc__)
        return 2
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.jit.script(CopyLast()).save(os.path.join(out, "copy_last.pt"))
    torch.jit.script(CopyLast(noise_scale=0.5)).save(os.path.join(out, "noisy.pt"))
    torch.jit.script(BadSignature()).save(os.path.join(out, "bad_signature.pt"))
    torch.jit.script(CopyLast(state_dim=31)).save(os.path.join(out, "state31.pt"))
    torch.jit.script(ThreeOutputs()).save(os.path.join(out, "three_outputs.pt"))
    torch.jit.script(NoAttributes()).save(os.path.join(out, "no_attributes.pt"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
