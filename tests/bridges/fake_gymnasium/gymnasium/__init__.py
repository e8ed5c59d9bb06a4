"""A stand-in for gymnasium 1.x with the same constructor signatures (gymnasium/core.py, gymnasium/spaces/*),
used only to test that a2w_bridge.RemoteEnv becomes a gymnasium.Env with gymnasium's spaces when gymnasium
is importable (Debian 12 has no gymnasium package and the test machines reach no other registry)."""

import numpy as np

from . import spaces


class Env:
    metadata = {"render_modes": []}
    render_mode = None
    spec = None
    _np_random = None

    def reset(self, *, seed=None, options=None):
        if seed is not None:
            self._np_random = np.random.default_rng(seed)

    def step(self, action):
        raise NotImplementedError

    def close(self):
        pass

    @property
    def np_random(self):
        if self._np_random is None:
            self._np_random = np.random.default_rng()
        return self._np_random
