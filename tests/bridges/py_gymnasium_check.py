"""With gymnasium importable, RemoteEnv is a gymnasium.Env whose spaces are gymnasium's; then it steps the
server as py_env_client.py does.

  py_gymnasium_check.py tcp://127.0.0.1:PORT
"""

import sys

import gymnasium
import numpy as np
from a2w_bridge import RemoteEnv

env = RemoteEnv(sys.argv[1])
assert isinstance(env, gymnasium.Env), type(env).__mro__
assert isinstance(env.action_space, gymnasium.spaces.Box), type(env.action_space)
assert isinstance(env.observation_space, gymnasium.spaces.Dict), type(env.observation_space)
assert isinstance(env.observation_space["instruction"], gymnasium.spaces.Text)
assert env.action_space.shape == (7,) and env.action_space.dtype == np.float32
obs, info = env.reset(seed=0)
assert env.np_random is not None
obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
env.close()
print("GYMNASIUM_OK", type(env).__mro__[1].__module__, flush=True)
