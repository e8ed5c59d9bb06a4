"""The client end of the protocol: a DEALER socket that sends one request at a time and never waits forever.

LINGER=0 and IMMEDIATE=1 (nothing queues for a server that is not connected, so a request to nobody fails
after connect_timeout); while waiting it pings every ping_interval, and no reply and no pong for
peer_timeout means the server is gone (Unavailable); a request fails with DeadlineExceeded after its
deadline, and its late reply is dropped when it comes; after an Unavailable the socket is replaced.
"""

import time

import zmq

from .codec import MAX_MESSAGE_BYTES, packb, unpackb
from .protocol import DeadlineExceeded, RemoteError, Unavailable, check_version, pack_header, unpack_header

_EMPTY = packb({})


class Connection:
    def __init__(
        self,
        endpoint: str,
        *,
        what: str = "server",
        connect_timeout: float = 5.0,
        peer_timeout: float = 2.0,
        ping_interval: float = 0.25,
        deadline: float = 30.0,
        max_message_bytes: int = MAX_MESSAGE_BYTES,
        server_public_key=None,
        context=None,
    ):
        self.endpoint = endpoint
        self.what = what
        self.connect_timeout = connect_timeout
        self.peer_timeout = peer_timeout
        self.ping_interval = ping_interval
        self.deadline = deadline
        self.max_message_bytes = max_message_bytes
        self.server_public_key = server_public_key
        self._ctx = context or zmq.Context.instance()
        self._sock = None
        self._next_id = 1
        self._answered = False
        self._answered_before = False  # on any socket: the server worked once (for the wording of errors)
        self.stale_replies = 0

    def _connect(self):
        s = self._ctx.socket(zmq.DEALER)
        s.setsockopt(zmq.LINGER, 0)
        s.setsockopt(zmq.IMMEDIATE, 1)
        s.setsockopt(zmq.MAXMSGSIZE, self.max_message_bytes + 1024)
        s.setsockopt(zmq.HEARTBEAT_IVL, 1000)
        s.setsockopt(zmq.HEARTBEAT_TIMEOUT, 3000)
        s.setsockopt(zmq.HEARTBEAT_TTL, 3000)
        s.setsockopt(zmq.RECONNECT_IVL, 100)
        s.setsockopt(zmq.RECONNECT_IVL_MAX, 1000)
        if self.server_public_key:
            public, secret = zmq.curve_keypair()
            s.curve_serverkey = self.server_public_key.encode() if isinstance(self.server_public_key, str) else self.server_public_key
            s.curve_publickey = public
            s.curve_secretkey = secret
        s.connect(self.endpoint)
        self._sock = s
        self._answered = False

    def close(self):
        if self._sock is not None:
            self._sock.close(linger=0)
            self._sock = None

    def request(self, type_: str, body, batch=None, deadline=None):
        """Sends a request; returns (header, body) of its reply. Raises RemoteError, Unavailable,
        DeadlineExceeded, or ValueError for a malformed reply."""
        if self._sock is None:
            self._connect()
        deadline = self.deadline if deadline is None else deadline
        start = time.monotonic()
        deadline_at = start + deadline
        rid = self._next_id
        self._next_id += 1
        header = pack_header(type_, rid, deadline_ms=min(deadline * 1000, 86_400_000), batch=batch)
        payload = body if isinstance(body, (bytes, bytearray, memoryview)) else packb(body)
        send_wait = self.peer_timeout if (self._answered or self._answered_before) else self.connect_timeout
        if not self._send(header, payload, min(deadline_at, start + send_wait)):
            self.close()
            if self._answered_before:
                raise Unavailable(
                    f"lost the {self.what} at {self.endpoint}: it answered before, but no connection for "
                    f"{send_wait:g} s (the server exited, crashed or the network is down)"
                )
            raise Unavailable(
                f"could not reach the {self.what} at {self.endpoint} within {send_wait:g} s: no connection "
                "(is it running, and is the address right?)"
            )
        poller = zmq.Poller()
        poller.register(self._sock, zmq.POLLIN)
        last_heard = time.monotonic()
        next_ping = last_heard + self.ping_interval
        ping_id = 0
        while True:
            now = time.monotonic()
            if now - last_heard > self.peer_timeout:
                self.close()
                raise Unavailable(
                    f"the {self.what} at {self.endpoint} stopped answering: no reply and no pong for "
                    f"{self.peer_timeout:g} s while waiting for {type_} #{rid} (the server exited, crashed or the "
                    "network is down)"
                )
            if now >= deadline_at:
                raise DeadlineExceeded(
                    f"the {self.what} at {self.endpoint} did not answer {type_} #{rid} within its deadline of "
                    f"{deadline:g} s (it answers pings, so it is alive but slow)"
                )
            if now >= next_ping:
                ping_id += 1
                try:
                    self._sock.send_multipart([pack_header("ping", ping_id), _EMPTY], zmq.DONTWAIT)
                except zmq.Again:
                    pass  # the connection is gone; the peer timeout will say so
                next_ping = now + self.ping_interval
            wake = min(deadline_at, next_ping, last_heard + self.peer_timeout)
            if not poller.poll(max(1, int((wake - now) * 1000) + 1)):
                continue
            frames = self._sock.recv_multipart(zmq.DONTWAIT, copy=False)
            last_heard = time.monotonic()
            self._answered = self._answered_before = True
            if len(frames) != 2:
                raise ValueError(f"the {self.what} sent a message of {len(frames)} frames; expected [header, body]")
            h = unpack_header(frames[0].bytes)
            check_version(h["v"])
            if h["type"] == "pong":
                continue
            if h.get("id") != rid:
                self.stale_replies += 1
                continue
            reply = unpackb(frames[1].buffer, self.max_message_bytes)
            if h["type"] == "error":
                code = reply.get("code", "internal") if isinstance(reply, dict) else "internal"
                msg = reply.get("message", "(no message)") if isinstance(reply, dict) else "(no message)"
                raise RemoteError(code, f"the {self.what} at {self.endpoint} answered {type_} with an error ({code}): {msg}")
            return h, reply

    def _send(self, header, payload, until) -> bool:
        poller = zmq.Poller()
        poller.register(self._sock, zmq.POLLOUT)
        while True:
            left = until - time.monotonic()
            if poller.poll(max(0, int(left * 1000))):
                try:
                    self._sock.send_multipart([header, payload], zmq.DONTWAIT, copy=len(payload) < 65536)
                    return True
                except zmq.Again:
                    pass
            if time.monotonic() >= until:
                return False
