"""The Python half of `a2w bench bridge`: round trips of the same 2-camera observation (two 224x224 RGB views,
state, instruction; about 301 KB) from the a2w_bridge client to an a2w PolicyServer, beside an OpenPI-style
websocket round trip (python3-websockets asyncio on both ends, openpi's msgpack dialect, a (10, 7) reply),
alternating rounds in the same run. Prints one JSON line:

  {"bridge": {"p50_us", "p99_us", "mean_us", "samples"}, "websocket": {...}, "request_bytes": N}

  bridge_bench.py --endpoint tcp://127.0.0.1:PORT [--count N] [--rounds R]
  bridge_bench.py --serve-websocket          (internal: the websocket policy server, in its own process)
"""

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time

import msgpack
import numpy as np


def pack_array(obj):  # openpi_client.msgpack_numpy
    if isinstance(obj, np.ndarray):
        return {b"__ndarray__": True, b"data": obj.tobytes(), b"dtype": obj.dtype.str, b"shape": obj.shape}
    if isinstance(obj, np.generic):
        return {b"__npgeneric__": True, b"data": obj.item(), b"dtype": obj.dtype.str}
    return obj


def unpack_array(obj):
    if b"__ndarray__" in obj:
        return np.ndarray(buffer=obj[b"data"], dtype=np.dtype(obj[b"dtype"]), shape=obj[b"shape"])
    return obj


def observation():
    rng = np.random.default_rng(7)
    return {
        "agentview_rgb": rng.integers(0, 256, (224, 224, 3), dtype=np.uint8),
        "eye_in_hand_rgb": rng.integers(0, 256, (224, 224, 3), dtype=np.uint8),
        "ee_pos": np.float32([0.1, 0.2, 0.3]),
        "ee_ori": np.float32([3.1, 0.0, 0.1]),
        "gripper_states": np.float32([0.04, 0.04]),
        "joint_states": np.zeros(7, np.float32),
        "instruction": "lift the red cube",
    }


def stats(us):
    us = sorted(us)
    return {
        "p50_us": us[len(us) // 2],
        "p99_us": us[min(len(us) - 1, int(len(us) * 0.99))],
        "mean_us": sum(us) / len(us),
        "samples": len(us),
    }


async def serve_websocket():
    import websockets

    reply = msgpack.packb({"actions": np.zeros((10, 7), np.float32), "server_timing": {"infer_ms": 0.0}},
                          default=pack_array)

    async def handler(ws, path=None):
        await ws.send(msgpack.packb({}, default=pack_array))
        async for msg in ws:
            msgpack.unpackb(msg, object_hook=unpack_array)
            await ws.send(reply)

    async with websockets.serve(handler, "127.0.0.1", 0, compression=None, max_size=None) as server:
        print(server.sockets[0].getsockname()[1], flush=True)
        await asyncio.Future()


async def measure(endpoint, count, rounds):
    import websockets
    from a2w_bridge import RemotePolicy

    obs = observation()
    server = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--serve-websocket"], stdout=subprocess.PIPE)
    try:
        port = int(server.stdout.readline())
        policy = RemotePolicy(endpoint)
        bridge_us, ws_us = [], []
        async with websockets.connect(f"ws://127.0.0.1:{port}", compression=None, max_size=None) as ws:
            await ws.recv()  # metadata
            for _ in range(rounds):
                policy.infer(obs)  # warm
                for _ in range(count):
                    t0 = time.perf_counter()
                    reply = policy.infer(obs)
                    bridge_us.append((time.perf_counter() - t0) * 1e6)
                assert reply["actions"].shape == (10, 7), reply["actions"].shape
                await ws.send(msgpack.packb(obs, default=pack_array))
                await ws.recv()
                for _ in range(count):
                    t0 = time.perf_counter()
                    await ws.send(msgpack.packb(obs, default=pack_array))
                    reply = msgpack.unpackb(await ws.recv(), object_hook=unpack_array)
                    ws_us.append((time.perf_counter() - t0) * 1e6)
                assert reply["actions"].shape == (10, 7)
        policy.close()
    finally:
        server.kill()
        server.wait()
    request_bytes = len(msgpack.packb(obs, default=pack_array))
    print(json.dumps({"bridge": stats(bridge_us), "websocket": stats(ws_us), "request_bytes": request_bytes}), flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--endpoint")
    p.add_argument("--count", type=int, default=1000)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--serve-websocket", action="store_true")
    a = p.parse_args()
    if a.serve_websocket:
        asyncio.run(serve_websocket())
    else:
        # The websocket side is much slower: fewer round trips keep the run short while giving stable p50s.
        asyncio.run(measure(a.endpoint, a.count, a.rounds))


if __name__ == "__main__":
    main()
