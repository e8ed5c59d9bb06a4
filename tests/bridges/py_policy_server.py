"""A Python policy served to a2w with serve_policy: every row gets a fixed action (gripper open, a small
upward move), so a C++ rollout can check what it executed.

  py_policy_server.py [ADDRESS]      prints "a2w_bridge: serving policy on tcp://127.0.0.1:PORT"
"""

import sys

import numpy as np
from a2w_bridge import serve_policy

calls = {"infer": 0, "reset": 0}


def policy(obs):
    calls["infer"] += 1
    batch = len(obs["instruction"]) if isinstance(obs.get("instruction"), list) else 1
    actions = np.zeros((batch, 7), np.float32)
    actions[:, 2] = 0.25
    actions[:, 6] = -1.0
    return {"actions": actions}


def reset(mask):
    calls["reset"] += 1


if __name__ == "__main__":
    serve_policy(policy, sys.argv[1] if len(sys.argv) > 1 else "tcp://127.0.0.1:0", reset=reset,
                 metadata={"name": "fixed"})
    print("STOPPED", calls, flush=True)
