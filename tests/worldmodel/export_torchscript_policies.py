#!/usr/bin/python3
"""Exports small TorchScript policies for test_policies.cpp (and as a template for bringing your own).

    /usr/bin/python3 tests/worldmodel/export_torchscript_policies.py OUT_DIR

The documented signature (worldmodel/include/a2w/wm/torchscript_policy.h):
    forward(agentview_rgb: uint8 [B, H, W, 3], eye_in_hand_rgb: uint8 [B, H, W, 3], proprio: float32 [B, 8])
        -> float32 [B, 7] or [B, Ha, 7]

Writes into OUT_DIR:
  one_action.pt     [B, 7] from a known function of the inputs (see Probe), no image_size attribute
  chunk.pt          [B, 4, 7]: the same action with the gripper stepping -1, -0.75, -0.5, -0.25; image_size 16
  bad_signature.pt  forward(x) -> x: must be refused
  tuple_output.pt   the right inputs, two outputs: must be refused
  wrong_width.pt    the right inputs, float32 [B, 6]: must be refused (by the trial forward)

Needs Debian's python3-torch (/usr/bin/python3); exits 3 with a message when torch is missing.
"""
import os
import sys

try:
    import torch
except ImportError:
    sys.stderr.write("export_torchscript_policies.py: python3 has no torch module; install python3-torch "
                     "(apt-get install python3-torch) and run it with /usr/bin/python3\n")
    sys.exit(3)

from typing import Tuple


class Probe(torch.nn.Module):
    """An action that shows which input went where:
    [mean(agentview) / 255, mean(eye_in_hand) / 255, ee_pos x, ee_pos y, ee_pos z, gripper_states[0], 2.0]
    (the last value is out of range on purpose: a2w clips it to 1)."""

    def action(self, agentview_rgb: torch.Tensor, eye_in_hand_rgb: torch.Tensor,
               proprio: torch.Tensor) -> torch.Tensor:
        a = agentview_rgb.to(torch.float32).mean(dim=(1, 2, 3)) / 255.0
        e = eye_in_hand_rgb.to(torch.float32).mean(dim=(1, 2, 3)) / 255.0
        two = torch.full_like(a, 2.0)
        return torch.stack([a, e, proprio[:, 0], proprio[:, 1], proprio[:, 2], proprio[:, 6], two], dim=1)

    def forward(self, agentview_rgb: torch.Tensor, eye_in_hand_rgb: torch.Tensor,
                proprio: torch.Tensor) -> torch.Tensor:
        return self.action(agentview_rgb, eye_in_hand_rgb, proprio)


class Chunk(Probe):
    def __init__(self):
        super().__init__()
        self.image_size: int = 16  # set on the instance, so that TorchScript keeps it

    def forward(self, agentview_rgb: torch.Tensor, eye_in_hand_rgb: torch.Tensor,
                proprio: torch.Tensor) -> torch.Tensor:
        a = self.action(agentview_rgb, eye_in_hand_rgb, proprio)
        chunk = a.unsqueeze(1).repeat(1, 4, 1)
        chunk[:, :, 6] = torch.tensor([-1.0, -0.75, -0.5, -0.25])
        return chunk


class BadSignature(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x


class TupleOutput(torch.nn.Module):
    def forward(self, agentview_rgb: torch.Tensor, eye_in_hand_rgb: torch.Tensor,
                proprio: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        return proprio[:, :7], proprio[:, 7]


class WrongWidth(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.image_size: int = 16

    def forward(self, agentview_rgb: torch.Tensor, eye_in_hand_rgb: torch.Tensor,
                proprio: torch.Tensor) -> torch.Tensor:
        return proprio[:, :6]


def main() -> int:
    if len(sys.argv) != 2:
        sys.stderr.write(__doc__)
        return 2
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.jit.script(Probe()).save(os.path.join(out, "one_action.pt"))
    torch.jit.script(Chunk()).save(os.path.join(out, "chunk.pt"))
    torch.jit.script(BadSignature()).save(os.path.join(out, "bad_signature.pt"))
    torch.jit.script(TupleOutput()).save(os.path.join(out, "tuple_output.pt"))
    torch.jit.script(WrongWidth()).save(os.path.join(out, "wrong_width.pt"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
