"""The Python client stepping an a2w EnvServer with Gymnasium semantics.

  py_env_client.py tcp://127.0.0.1:PORT
"""

import sys

import numpy as np
from a2w_bridge import RemoteEnv, RemoteError


def main(address):
    env = RemoteEnv(address)
    print("SPACES", env.observation_space, env.action_space, flush=True)
    assert env.action_space.shape == (7,) and env.action_space.dtype == np.float32
    assert float(env.action_space.low.min()) == -1.0 and float(env.action_space.high.max()) == 1.0
    assert "ee_pos" in env.observation_space.keys() and env.observation_space["ee_pos"].shape == (3,)
    assert env.control_hz == 20.0

    obs, info = env.reset(seed=3)
    again, _ = env.reset(seed=3)
    assert np.array_equal(obs["ee_pos"], again["ee_pos"]), "one seed, one initial state"
    assert isinstance(obs["instruction"], str) and obs["instruction"]
    assert obs["ee_pos"].dtype == np.float32 and obs["ee_pos"].shape == (3,)

    steps, terminated, truncated = 0, False, False
    while not (terminated or truncated):
        obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
        assert isinstance(reward, float) and isinstance(terminated, bool) and isinstance(truncated, bool)
        assert "success" in info
        steps += 1
        assert steps < 10000
    print(f"EPISODE steps={steps} terminated={terminated} truncated={truncated}", flush=True)

    try:
        env.step(np.zeros(7, np.float32))
        print("NO ERROR after the episode ended", flush=True)
        return 1
    except RemoteError as e:
        assert e.code == "env_error", e.code
        print("AFTER_END", e.code, flush=True)

    env.reset(seed=1)
    env.step(np.zeros(7))  # float64 actions are converted to the space's float32
    env.step([0.0] * 7)
    try:
        env.step(np.zeros(5, np.float32))
        return 1
    except RemoteError as e:
        assert e.code == "bad_request", e.code
        print("BAD_ACTION", e.code, flush=True)
    env.close()
    print("OK", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
