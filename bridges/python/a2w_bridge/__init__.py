"""Python client of the a2w bridge (docs/bridge-protocol.md): ZeroMQ + msgpack in the OpenPI dialect.

RemoteEnv         a Gymnasium-style env (a gymnasium.Env when gymnasium is installed) served by a2w
RemotePolicy      a client of an a2w PolicyServer: infer(obs) -> {"actions": ...}
serve_policy      expose a Python function as a policy to a2w (a2w rollout --policy zmq://HOST:PORT)
ActionChunkBroker execute action chunks k steps at a time before asking again
codec             packb / unpackb in openpi's msgpack_numpy dialect, with limits
"""

from .broker import ActionChunkBroker
from .client import Connection
from .codec import packb, unpackb
from .env import RemoteEnv
from .policy import RemotePolicy, serve_policy
from .protocol import VERSION, BridgeError, DeadlineExceeded, RemoteError, Unavailable

__all__ = [
    "ActionChunkBroker",
    "BridgeError",
    "Connection",
    "DeadlineExceeded",
    "RemoteEnv",
    "RemoteError",
    "RemotePolicy",
    "Unavailable",
    "VERSION",
    "packb",
    "serve_policy",
    "unpackb",
]
__version__ = "0.1.0"
