"""Spaces as the server describes them (docs/bridge-protocol.md, "Spec"), shaped like Gymnasium's: Box
(dtype, shape, low, high), Discrete, MultiDiscrete, MultiBinary, Text, Dict, Tuple. When gymnasium is
installed, from_wire() builds gymnasium's own spaces instead."""

import numpy as np

try:  # pragma: no cover - depends on the environment
    import gymnasium as _gym
except ImportError:  # gymnasium is optional
    _gym = None

_NUMPY = {"|b1": np.bool_, "|u1": np.uint8, "<i4": np.int32, "<i8": np.int64, "<f4": np.float32, "<f8": np.float64}


class Space:
    dtype = None
    shape = None

    def __init__(self, seed=None):
        self._rng = np.random.default_rng(seed)

    def seed(self, seed=None):
        self._rng = np.random.default_rng(seed)

    def __repr__(self):
        return str(self)


class Box(Space):
    def __init__(self, low, high, shape, dtype, seed=None):
        super().__init__(seed)
        self.dtype = np.dtype(dtype)
        self.shape = tuple(shape)
        self.low = np.broadcast_to(np.asarray(low, dtype=self.dtype), self.shape).copy()
        self.high = np.broadcast_to(np.asarray(high, dtype=self.dtype), self.shape).copy()

    def sample(self):
        if np.issubdtype(self.dtype, np.floating):
            lo = np.where(np.isfinite(self.low), self.low, -1.0)
            hi = np.where(np.isfinite(self.high), self.high, 1.0)
            return self._rng.uniform(lo, hi).astype(self.dtype)
        return self._rng.integers(self.low, self.high, endpoint=True).astype(self.dtype)

    def contains(self, x):
        x = np.asarray(x)
        return x.shape == self.shape and bool(np.all(x >= self.low) and np.all(x <= self.high))

    def __str__(self):
        return f"Box({self.low.min()}, {self.high.max()}, {self.shape}, {self.dtype})"


class Discrete(Space):
    def __init__(self, n, start=0, seed=None):
        super().__init__(seed)
        self.n, self.start, self.dtype, self.shape = int(n), int(start), np.dtype(np.int64), ()

    def sample(self):
        return np.int64(self.start + self._rng.integers(self.n))

    def contains(self, x):
        return self.start <= int(x) < self.start + self.n

    def __str__(self):
        return f"Discrete({self.n}, start={self.start})"


class MultiDiscrete(Space):
    def __init__(self, nvec, seed=None):
        super().__init__(seed)
        self.nvec = np.asarray(nvec, dtype=np.int64)
        self.dtype, self.shape = np.dtype(np.int64), self.nvec.shape

    def sample(self):
        return self._rng.integers(0, self.nvec).astype(np.int64)

    def __str__(self):
        return f"MultiDiscrete({self.nvec.tolist()})"


class MultiBinary(Space):
    def __init__(self, n, seed=None):
        super().__init__(seed)
        self.n, self.dtype, self.shape = int(n), np.dtype(np.uint8), (int(n),)

    def sample(self):
        return self._rng.integers(0, 2, self.n).astype(np.uint8)

    def __str__(self):
        return f"MultiBinary({self.n})"


class Text(Space):
    def __init__(self, max_length, min_length=0, seed=None):
        super().__init__(seed)
        self.max_length, self.min_length, self.dtype, self.shape = int(max_length), int(min_length), None, None

    def sample(self):
        n = int(self._rng.integers(self.min_length, self.max_length + 1))
        return "".join(chr(int(c)) for c in self._rng.integers(97, 123, n))

    def contains(self, x):
        return isinstance(x, str) and self.min_length <= len(x) <= self.max_length

    def __str__(self):
        return f"Text({self.min_length}, {self.max_length})"


class Dict(Space):
    def __init__(self, spaces, seed=None):
        super().__init__(seed)
        self.spaces = dict(spaces)

    def __getitem__(self, key):
        return self.spaces[key]

    def keys(self):
        return self.spaces.keys()

    def items(self):
        return self.spaces.items()

    def sample(self):
        return {k: s.sample() for k, s in self.spaces.items()}

    def __str__(self):
        return "Dict(" + ", ".join(f"{k!r}: {s}" for k, s in self.spaces.items()) + ")"


class Tuple(Space):
    def __init__(self, spaces, seed=None):
        super().__init__(seed)
        self.spaces = tuple(spaces)

    def __getitem__(self, i):
        return self.spaces[i]

    def sample(self):
        return tuple(s.sample() for s in self.spaces)

    def __str__(self):
        return "Tuple(" + ", ".join(str(s) for s in self.spaces) + ")"


def from_wire(desc, use_gymnasium=True):
    """Builds a space from the server's description (gymnasium's spaces when available and asked for)."""
    g = _gym.spaces if (use_gymnasium and _gym is not None) else None
    t = desc["type"]
    if t == "Box":
        dtype = _NUMPY.get(desc["dtype"])
        if dtype is None:
            raise ValueError(f"Box dtype: expected one of {', '.join(_NUMPY)}, got {desc['dtype']!r}")
        shape = tuple(int(d) for d in desc["shape"])
        if g:
            low = np.broadcast_to(np.asarray(desc["low"], dtype=dtype), shape)
            high = np.broadcast_to(np.asarray(desc["high"], dtype=dtype), shape)
            return g.Box(low=low, high=high, shape=shape, dtype=dtype)
        return Box(desc["low"], desc["high"], shape, dtype)
    if t == "Discrete":
        return g.Discrete(desc["n"], start=desc.get("start", 0)) if g else Discrete(desc["n"], desc.get("start", 0))
    if t == "MultiDiscrete":
        return g.MultiDiscrete(np.asarray(desc["nvec"])) if g else MultiDiscrete(desc["nvec"])
    if t == "MultiBinary":
        return g.MultiBinary(desc["n"]) if g else MultiBinary(desc["n"])
    if t == "Text":
        if g:
            return g.Text(max_length=desc["max_length"], min_length=desc.get("min_length", 0))
        return Text(desc["max_length"], desc.get("min_length", 0))
    if t == "Dict":
        spaces = {k: from_wire(v, use_gymnasium) for k, v in desc["spaces"].items()}
        return g.Dict(spaces) if g else Dict(spaces)
    if t == "Tuple":
        spaces = [from_wire(v, use_gymnasium) for v in desc["spaces"]]
        return g.Tuple(spaces) if g else Tuple(spaces)
    raise ValueError(f"space type: expected Box, Discrete, MultiDiscrete, MultiBinary, Text, Dict or Tuple, got {t!r}")
