"""The a2w bridge protocol, version 1.0 (docs/bridge-protocol.md): every message is two ZeroMQ frames
[header, body]; the header is a small msgpack map {"v", "type", "id", "deadline_ms"?, "batch"?}."""

import msgpack

VERSION = "1.0"
TYPES = ("hello", "infer", "reset", "step", "close", "ping", "pong", "error")
MAX_HEADER_BYTES = 1024


class BridgeError(Exception):
    """Base of the bridge's errors."""


class RemoteError(BridgeError):
    """The peer answered with an error message; `code` is its error code (bad_request, env_error, ...)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


class Unavailable(BridgeError):
    """No answer: the server cannot be reached, stopped answering pings, or went away."""


class DeadlineExceeded(Unavailable):
    """The request's deadline passed before its reply came."""


def pack_header(type_: str, id_: int, deadline_ms=None, batch=None) -> bytes:
    h = {"v": VERSION, "type": type_, "id": id_}
    if deadline_ms is not None:
        h["deadline_ms"] = int(deadline_ms)
    if batch is not None:
        h["batch"] = int(batch)
    return msgpack.packb(h, use_bin_type=True)


def unpack_header(data) -> dict:
    """Decodes and checks a header; raises ValueError naming what is wrong."""
    if len(data) > MAX_HEADER_BYTES:
        raise ValueError(f"header: expected at most {MAX_HEADER_BYTES} bytes, got {len(data)}")
    try:
        h = msgpack.unpackb(data, raw=False, max_str_len=64, max_bin_len=64, max_array_len=16, max_map_len=16, max_ext_len=0)
    except Exception as e:
        raise ValueError(f"header: malformed: {type(e).__name__}: {e}") from None
    if not isinstance(h, dict):
        raise ValueError(f"header: expected a map, got {type(h).__name__}")
    v = h.get("v")
    if not isinstance(v, str) or v.count(".") != 1 or not all(p.isdigit() for p in v.split(".")):
        raise ValueError(f'header: v: expected a version "MAJOR.MINOR" such as "{VERSION}", got {v!r}')
    if h.get("type") not in TYPES:
        raise ValueError(f"header: type: expected one of {', '.join(TYPES)}; got {h.get('type')!r}")
    if not isinstance(h.get("id", 0), int) or h.get("id", 0) < 0:
        raise ValueError(f"header: id: expected a non-negative integer, got {h.get('id')!r}")
    return h


def check_version(v: str):
    """Raises ValueError when the major versions differ."""
    if v.split(".")[0] != VERSION.split(".")[0]:
        raise ValueError(
            f"protocol version {v} is not supported: this peer speaks {VERSION} (the major versions must match)"
        )


RETRYABLE = {"too_many_sessions", "shutting_down", "deadline_exceeded"}


def error_body(code: str, message: str) -> dict:
    return {"code": code, "message": message, "retryable": code in RETRYABLE}
