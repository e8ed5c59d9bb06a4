"""Policies across processes.

serve_policy(fn, address)   exposes a Python function as a policy to a2w:
                                a2w rollout --task a2w/LiftCube-v0 --policy zmq://127.0.0.1:5555
RemotePolicy(address)       calls an a2w PolicyServer (`a2w serve policy ...`) from Python.

What `fn` gets and returns: a2w's RemotePolicy sends a batch (header "batch" = B; arrays [B, ...], texts a
list of B strings) and expects actions [B, A] or chunks [B, H, A]; a single OpenPI-style observation
(no "batch") expects a chunk [H, D]. serve_policy passes the observation dict as it came and sends back
what fn returns: an array (the actions) or a dict holding "actions" (and anything else to pass along).
"""

import ipaddress
import signal
import threading
import time
import traceback

import numpy as np
import zmq

from .client import Connection
from .codec import MAX_MESSAGE_BYTES, packb, unpackb
from .protocol import VERSION, check_version, error_body, pack_header, unpack_header


class RemotePolicy:
    """A client of an a2w PolicyServer: infer(obs) -> {"actions": ..., "server_timing": {...}}."""

    def __init__(
        self,
        address: str = "tcp://127.0.0.1:5555",
        *,
        deadline: float = 30.0,
        connect_timeout: float = 5.0,
        peer_timeout: float = 2.0,
        server_public_key=None,
    ):
        self._conn = Connection(
            address,
            what="policy server",
            connect_timeout=connect_timeout,
            peer_timeout=peer_timeout,
            deadline=deadline,
            server_public_key=server_public_key,
        )
        _, hello = self._conn.request("hello", {"role": "policy", "client": "a2w_bridge-python/0.1"})
        self.spec = hello.get("spec", {})
        self.metadata = hello.get("metadata", {})

    def infer(self, obs: dict, batch=None) -> dict:
        """One observation (OpenPI style: actions [H, D] back), or a batch of `batch` rows."""
        _, reply = self._conn.request("infer", obs, batch=batch)
        return reply

    def reset(self, mask=None):
        body = {} if mask is None else {"mask": np.asarray(mask, dtype=bool)}
        self._conn.request("reset", body)

    def close(self):
        try:
            self._conn.request("close", {}, deadline=0.5)
        except Exception:
            pass
        self._conn.close()


def _is_loopback(address: str) -> bool:
    if address.startswith(("ipc://", "inproc://")):
        return True
    host = address.split("://", 1)[-1].rsplit(":", 1)[0].strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve_policy(
    fn,
    address: str = "tcp://127.0.0.1:5555",
    *,
    spec=None,
    metadata=None,
    reset=None,
    stop_event=None,
    on_ready=None,
    max_message_bytes: int = MAX_MESSAGE_BYTES,
    curve_secret_key=None,
    context=None,
):
    """Serves `fn` until SIGINT/SIGTERM (in the main thread) or until `stop_event` is set.

    address            "tcp://HOST:PORT"; port 0 picks a free port. A non-loopback host needs
                       curve_secret_key (clients then need the matching public key).
    spec, metadata     what the hello reply announces (docs/bridge-protocol.md, "Spec"); may be None.
    reset(mask)        called for a client's reset (mask: bool array, or None).
    on_ready(endpoint) called once bound; by default the endpoint is printed:
                       "a2w_bridge: serving policy on tcp://127.0.0.1:PORT".
    """
    if not _is_loopback(address) and curve_secret_key is None:
        raise ValueError(f"binding {address} (not loopback) needs CURVE keys: pass curve_secret_key")
    ctx = context or zmq.Context.instance()
    sock = ctx.socket(zmq.ROUTER)
    sock.setsockopt(zmq.LINGER, 0)
    sock.setsockopt(zmq.ROUTER_MANDATORY, 1)
    sock.setsockopt(zmq.MAXMSGSIZE, max_message_bytes + 1024)
    sock.setsockopt(zmq.HEARTBEAT_IVL, 1000)
    sock.setsockopt(zmq.HEARTBEAT_TIMEOUT, 3000)
    sock.setsockopt(zmq.HEARTBEAT_TTL, 3000)
    if curve_secret_key is not None:
        sock.curve_server = True
        sock.curve_secretkey = curve_secret_key.encode() if isinstance(curve_secret_key, str) else curve_secret_key
    if address.endswith(":0"):
        sock.bind(address[:-2] + ":*")
    else:
        sock.bind(address)
    endpoint = sock.getsockopt_string(zmq.LAST_ENDPOINT)
    if on_ready is None:
        print(f"a2w_bridge: serving policy on {endpoint}", flush=True)
    else:
        on_ready(endpoint)

    stop = stop_event or threading.Event()
    old_handlers = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            old_handlers[sig] = signal.signal(sig, lambda *_: stop.set())

    hello_reply = packb(
        {
            "protocol": "a2w-bridge",
            "v": VERSION,
            "role": "policy",
            "server": "a2w_bridge-python/0.1",
            "status": "ready",
            "spec": spec or {"action_horizon": 1, "num_envs": 1},
            "metadata": metadata or {},
            "max_message_bytes": max_message_bytes,
        }
    )
    pong = packb({"status": "ready"})
    empty = packb({})

    def send(peer, rid, type_, body):
        try:
            sock.send_multipart(peer + [pack_header(type_, rid), body], copy=False)
        except zmq.ZMQError:
            pass  # the client left (ROUTER_MANDATORY): nobody to answer

    poller = zmq.Poller()
    poller.register(sock, zmq.POLLIN)
    try:
        while not stop.is_set():
            if not poller.poll(100):
                continue
            frames = sock.recv_multipart(copy=False)
            peer = [frames[0]]
            rest = frames[1:]
            if len(rest) == 3 and len(rest[0]) == 0:  # a REQ peer: echo its empty delimiter
                peer.append(rest[0])
                rest = rest[1:]
            if len(rest) != 2:
                send(peer, 0, "error", packb(error_body("bad_message", f"expected a message of 2 frames [header, body], got {len(rest)}")))
                continue
            try:
                h = unpack_header(rest[0].bytes)
            except ValueError as e:
                send(peer, 0, "error", packb(error_body("bad_message", str(e))))
                continue
            rid = h.get("id", 0)
            try:
                check_version(h["v"])
            except ValueError as e:
                send(peer, rid, "error", packb(error_body("unsupported_version", str(e))))
                continue
            t = h["type"]
            if t == "ping":
                send(peer, rid, "pong", pong)
                continue
            if t in ("pong", "error"):
                continue
            try:
                body = unpackb(rest[1].buffer, max_message_bytes)
            except ValueError as e:
                send(peer, rid, "error", packb(error_body("bad_message", str(e))))
                continue
            if t == "hello":
                send(peer, rid, "hello", hello_reply)
            elif t == "close":
                send(peer, rid, "close", empty)
            elif t == "reset":
                try:
                    if reset is not None:
                        reset(body.get("mask") if isinstance(body, dict) else None)
                    send(peer, rid, "reset", empty)
                except Exception as e:
                    send(peer, rid, "error", packb(error_body("policy_error", f"the policy's reset failed: {e}")))
            elif t == "infer":
                if not isinstance(body, dict):
                    send(peer, rid, "error", packb(error_body("bad_message", "infer: expected a map")))
                    continue
                t0 = time.perf_counter()
                try:
                    out = fn(body)
                    reply = dict(out) if isinstance(out, dict) else {"actions": out}
                    actions = np.asarray(reply["actions"])
                    if h.get("batch") is None and actions.ndim == 1:
                        actions = actions[None]  # one observation: a chunk [H, D]
                    if actions.dtype == np.float64:
                        actions = actions.astype(np.float32)
                    reply["actions"] = actions
                    reply.setdefault("server_timing", {"infer_ms": (time.perf_counter() - t0) * 1000.0})
                    send(peer, rid, "infer", packb(reply))
                except Exception as e:
                    last = traceback.format_exception_only(type(e), e)[-1].strip()
                    send(peer, rid, "error", packb(error_body("policy_error", f"the policy failed: {last}")))
            else:
                send(peer, rid, "error", packb(error_body("unknown_type", f"this policy server does not answer {t}; it answers hello, infer, reset, close and ping")))
    finally:
        for sig, old in old_handlers.items():
            signal.signal(sig, old)
        sock.close(linger=0)
