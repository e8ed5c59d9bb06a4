"""ActionChunkBroker: executes a policy's action chunks k steps at a time (openpi's broker, with replanning).

    policy = ActionChunkBroker(RemotePolicy("tcp://127.0.0.1:5555"), replan_steps=5)
    for t in range(T):
        action = policy.infer(obs)["actions"]     # one action per call; the policy is asked every 5 steps

The wrapped policy's infer(obs) returns a dict whose "actions" is a chunk [H, D] (or one action [D]). Each
call returns the chunk's next row; after `replan_steps` rows (or when the chunk runs out) it asks again.
Other keys of the policy's reply are passed through unchanged.
"""

import numpy as np


class ActionChunkBroker:
    def __init__(self, policy, replan_steps: int):
        if replan_steps < 1:
            raise ValueError(f"replan_steps: expected >= 1, got {replan_steps}")
        self.policy = policy
        self.replan_steps = int(replan_steps)
        self._reply = None
        self._chunk = None
        self._next = 0

    def infer(self, obs) -> dict:
        if self._chunk is None or self._next >= min(self.replan_steps, len(self._chunk)):
            self._reply = self.policy.infer(obs)
            chunk = np.asarray(self._reply["actions"])
            self._chunk = chunk[None] if chunk.ndim == 1 else chunk
            self._next = 0
        out = dict(self._reply)
        out["actions"] = self._chunk[self._next]
        self._next += 1
        return out

    def reset(self):
        self._reply = self._chunk = None
        self._next = 0
        if hasattr(self.policy, "reset"):
            self.policy.reset()
