"""The Python client of an a2w PolicyServer: one OpenPI-style observation and a batch, then the
ActionChunkBroker replanning every 3 steps over (10, 7) chunks.

  py_policy_client.py tcp://127.0.0.1:PORT
"""

import sys

import numpy as np
from a2w_bridge import ActionChunkBroker, RemoteError, RemotePolicy


class Counting:
    def __init__(self, policy):
        self.policy, self.calls = policy, 0

    def infer(self, obs):
        self.calls += 1
        return self.policy.infer(obs)


def main(address):
    policy = RemotePolicy(address)
    assert policy.spec["action_horizon"] == 10, policy.spec
    one = {"state": np.zeros(3, np.float32), "prompt": "hi"}
    reply = policy.infer(one)
    assert reply["actions"].shape == (10, 7), reply["actions"].shape
    assert "infer_ms" in reply["server_timing"]
    batch = {"state": np.zeros((4, 3), np.float32), "prompt": ["a", "b", "c", "d"]}
    assert policy.infer(batch, batch=4)["actions"].shape == (4, 10, 7)
    try:
        policy.infer({"state": np.zeros((2, 3), np.float32)}, batch=3)
        return 1
    except RemoteError as e:
        assert e.code == "bad_request", e.code
    broker = ActionChunkBroker(Counting(policy), replan_steps=3)
    actions = [broker.infer(one)["actions"] for _ in range(7)]
    assert all(a.shape == (7,) for a in actions)
    assert broker.policy.calls == 3, broker.policy.calls  # steps 0, 3 and 6 asked the server
    policy.close()
    print("OK", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
