"""An OpenPI-style websocket client (what openpi-client's WebsocketClientPolicy does, on python3-websockets'
asyncio API): reads the metadata frame, sends LIBERO-style observations, checks the action chunks, then the
error path (a text frame back, close code 1011) and GET /healthz.

  openpi_client.py ws://127.0.0.1:PORT
"""

import asyncio
import http.client
import sys
from urllib.parse import urlparse

import numpy as np
import openpi_msgpack as m
import websockets


def observation():
    return {
        "observation/image": np.zeros((224, 224, 3), np.uint8),
        "observation/wrist_image": np.zeros((224, 224, 3), np.uint8),
        "observation/state": np.zeros(8),
        "prompt": "lift the red cube",
    }


async def main(uri):
    async with websockets.connect(uri, compression=None, max_size=None) as ws:
        metadata = m.unpackb(await ws.recv())
        assert isinstance(metadata, dict), type(metadata)
        print("METADATA", sorted(metadata), flush=True)
        for _ in range(3):
            await ws.send(m.packb(observation()))
            reply = await ws.recv()
            assert isinstance(reply, bytes), f"expected a binary frame, got {type(reply)}"
            actions = m.unpackb(reply)["actions"]
        print("ACTIONS", actions.shape, actions.dtype, flush=True)
        await ws.send("this is not msgpack")
        error = await ws.recv()
        assert isinstance(error, str), f"expected a text frame with the error, got {type(error)}"
        print("ERROR_TEXT", error, flush=True)
        try:
            await ws.recv()
            print("NOT CLOSED", flush=True)
        except websockets.ConnectionClosed as e:
            code = e.rcvd.code if getattr(e, "rcvd", None) is not None else getattr(e, "code", None)
            print("CLOSE_CODE", code, flush=True)
    u = urlparse(uri)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=5)
    c.request("GET", "/healthz")
    r = c.getresponse()
    print("HEALTHZ", r.status, repr(r.read().decode()), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
