"""An OpenPI-style websocket policy server (what openpi's serve_policy.py does, on python3-websockets'
asyncio API): metadata frame first, then one binary frame back for each observation, {"actions": (10, 7)}.
It prints what the first observation held, so a test can check a2w's LIBERO key map.

  openpi_server.py    prints "listening on ws://127.0.0.1:PORT"
"""

import asyncio

import numpy as np
import openpi_msgpack as m
import websockets

seen = {"requests": 0}


def describe(v):
    if isinstance(v, np.ndarray):
        return f"{v.dtype}{list(v.shape)}"
    return type(v).__name__


async def handler(ws, path=None):
    await ws.send(m.packb({"policy": "fake-openpi", "action_horizon": 10}))
    async for msg in ws:
        obs = m.unpackb(msg)
        seen["requests"] += 1
        if seen["requests"] == 1:
            print("OBS " + " ".join(f"{k}={describe(v)}" for k, v in obs.items()), flush=True)
        actions = np.zeros((10, 7), np.float32)
        actions[:, 6] = -1.0  # gripper open
        await ws.send(m.packb({"actions": actions, "server_timing": {"infer_ms": 0.1}}))
    print("REQUESTS", seen["requests"], flush=True)


async def main():
    async with websockets.serve(handler, "127.0.0.1", 0, compression=None, max_size=None) as server:
        port = server.sockets[0].getsockname()[1]
        print(f"listening on ws://127.0.0.1:{port}", flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main())
