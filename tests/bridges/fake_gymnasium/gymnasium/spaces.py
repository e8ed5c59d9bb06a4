"""gymnasium.spaces' constructors, checked as strictly as gymnasium checks them."""

import numpy as np


class Space:
    def __init__(self, shape=None, dtype=None, seed=None):
        self._shape = None if shape is None else tuple(shape)
        self.dtype = None if dtype is None else np.dtype(dtype)
        self.np_random = np.random.default_rng(seed)

    @property
    def shape(self):
        return self._shape


class Box(Space):
    def __init__(self, low, high, shape=None, dtype=np.float32, seed=None):
        dtype = np.dtype(dtype)
        if shape is None:
            shape = np.shape(low)
        shape = tuple(int(d) for d in shape)
        low, high = np.asarray(low), np.asarray(high)
        for name, b in (("low", low), ("high", high)):
            if b.shape not in ((), shape):
                raise ValueError(f"Box {name}.shape doesn't match provided shape, {name}.shape={b.shape}, shape={shape}")
        super().__init__(shape, dtype, seed)
        self.low = np.broadcast_to(low, shape).astype(dtype)
        self.high = np.broadcast_to(high, shape).astype(dtype)

    def sample(self):
        lo = np.where(np.isfinite(self.low), self.low, -1.0)
        hi = np.where(np.isfinite(self.high), self.high, 1.0)
        if np.issubdtype(self.dtype, np.floating):
            return self.np_random.uniform(lo, hi).astype(self.dtype)
        return self.np_random.integers(lo, hi, endpoint=True).astype(self.dtype)


class Discrete(Space):
    def __init__(self, n, seed=None, start=0):
        super().__init__((), np.int64, seed)
        self.n, self.start = int(n), int(start)


class MultiDiscrete(Space):
    def __init__(self, nvec, dtype=np.int64, seed=None, start=None):
        self.nvec = np.asarray(nvec, dtype=dtype)
        super().__init__(self.nvec.shape, dtype, seed)


class MultiBinary(Space):
    def __init__(self, n, seed=None):
        super().__init__((int(n),), np.int8, seed)
        self.n = n


class Text(Space):
    def __init__(self, max_length, *, min_length=1, charset=None, seed=None):
        super().__init__(None, None, seed)
        self.max_length, self.min_length = int(max_length), int(min_length)


class Dict(Space):
    def __init__(self, spaces=None, seed=None, **kwargs):
        assert isinstance(spaces, dict), type(spaces)
        self.spaces = dict(spaces)
        super().__init__(None, None, seed)

    def __getitem__(self, key):
        return self.spaces[key]

    def keys(self):
        return self.spaces.keys()


class Tuple(Space):
    def __init__(self, spaces, seed=None):
        self.spaces = tuple(spaces)
        super().__init__(None, None, seed)
