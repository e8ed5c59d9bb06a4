"""RemoteEnv: an environment served by an a2w EnvServer (`a2w serve env --task ID`), with Gymnasium's API.

    env = RemoteEnv("tcp://127.0.0.1:5556")
    obs, info = env.reset(seed=42)
    obs, reward, terminated, truncated, info = env.step(env.action_space.sample())

Semantics are Gymnasium 1.x: after terminated or truncated, call reset() before step() again (stepping an
ended episode raises RemoteError with code env_error). With a server that serves a VectorEnv
(`--num-envs N`), observations, rewards and flags come batched and infos as a list (`num_envs` says N).
Observation arrays are read-only views of the received message, as in openpi; copy what you modify.
"""

import numpy as np

from . import spaces as _spaces
from .client import Connection

try:  # pragma: no cover - depends on the environment
    import gymnasium as _gym

    _Base = _gym.Env
except ImportError:
    _gym = None
    _Base = object


class RemoteEnv(_Base):
    metadata = {"render_modes": []}
    render_mode = None

    def __init__(
        self,
        address: str = "tcp://127.0.0.1:5556",
        *,
        deadline: float = 60.0,
        connect_timeout: float = 5.0,
        peer_timeout: float = 2.0,
        server_public_key=None,
        use_gymnasium_spaces: bool = True,
    ):
        self._conn = Connection(
            address,
            what="env server",
            connect_timeout=connect_timeout,
            peer_timeout=peer_timeout,
            deadline=deadline,
            server_public_key=server_public_key,
        )
        _, hello = self._conn.request("hello", {"role": "env", "client": "a2w_bridge-python/0.1"})
        spec = hello["spec"]
        self.bridge_spec = spec  # the server's spec as sent (Gymnasium's own `spec` attribute is left alone)
        self.server_metadata = hello.get("metadata", {})
        self.env_id = spec.get("id", "")
        self.num_envs = int(spec.get("num_envs", 1))
        self.is_vector_env = bool(spec.get("vector_env", self.num_envs > 1))
        self.control_hz = float(spec.get("control_hz", 0.0))
        self.max_episode_steps = int(spec.get("max_episode_steps", 0))
        self.session_timeout_s = float(hello.get("session_timeout_s", 0.0))
        self.observation_space = _spaces.from_wire(spec["observation_space"], use_gymnasium_spaces)
        self.action_space = _spaces.from_wire(spec["action_space"], use_gymnasium_spaces)
        self._closed = False

    def reset(self, *, seed=None, options=None):
        if _gym is not None:
            super().reset(seed=seed)
        if seed is not None:
            seed = int(seed) % 2**64
            seed = seed - 2**64 if seed >= 2**63 else seed  # u64 seeds travel as the int64 of the same bits
        body = {"seed": seed, "options": options or {}}
        _, r = self._conn.request("reset", body)
        if self.is_vector_env:
            return r["obs"], r["infos"]
        return r["obs"], r["info"]

    def step(self, action):
        dtype = getattr(self.action_space, "dtype", None)
        action = np.asarray(action, dtype=dtype) if dtype is not None else np.asarray(action)
        _, r = self._conn.request("step", {"action": action})
        if self.is_vector_env:
            return r["obs"], r["reward"], r["terminated"], r["truncated"], r["infos"]
        return r["obs"], float(r["reward"]), bool(r["terminated"]), bool(r["truncated"]), r["info"]

    def close(self):
        """Ends the session (the server closes its env). Safe to call twice."""
        if getattr(self, "_closed", True):
            return
        self._closed = True
        try:
            self._conn.request("close", {}, deadline=1.0)
        except Exception:
            pass  # the server times the session out anyway
        self._conn.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def __repr__(self):
        return f"RemoteEnv({self.env_id!r} at {self._conn.endpoint})"
