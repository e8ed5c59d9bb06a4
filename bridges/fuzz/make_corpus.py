"""Writes the fuzz target's seed corpus (bridges/fuzz/corpus/): valid bodies of every shape the bridge
sees, headers, and a few malformed ones. Run with /usr/bin/python3 from the repository root. The corpus also
keeps inputs the fuzzer found (deep_bin_roundtrip, integral_float), which this script leaves alone."""

import os

import msgpack
import numpy as np


def pack(o):
    def default(x):
        if isinstance(x, np.ndarray):
            return {b"__ndarray__": True, b"data": x.tobytes(), b"dtype": x.dtype.str, b"shape": list(x.shape)}
        if isinstance(x, np.generic):
            return {b"__npgeneric__": True, b"data": x.item(), b"dtype": x.dtype.str}
        raise TypeError(type(x))

    return msgpack.packb(o, default=default, use_bin_type=True)


seeds = {
    "golden": {"state": np.float32([1, 2]), "prompt": "hi"},
    "libero_small": {
        "observation/image": np.zeros((8, 8, 3), np.uint8),
        "observation/wrist_image": np.full((8, 8, 3), 7, np.uint8),
        "observation/state": np.arange(8, dtype=np.float64),
        "prompt": "lift the red cube",
    },
    "batch": {"ee_pos": np.zeros((2, 3), np.float32), "instruction": ["a", "b"], "mask": np.array([True, False])},
    "actions": {"actions": np.zeros((10, 7), np.float32), "server_timing": {"infer_ms": 1.5, "batch_rows": 1}},
    "step_reply": {
        "obs": {"ee_pos": np.zeros(3, np.float32), "instruction": "x"},
        "reward": 0.5,
        "terminated": False,
        "truncated": True,
        "info": {"success": False, "state/object_poses": np.zeros((1, 7), np.float32)},
    },
    "reset": {"seed": 42, "options": {"horizon": 10}},
    "ints": {"i": [0, 1, 127, 128, 255, 256, 65535, 65536, -1, -32, -33, -128, -129, 2**40, -(2**40), 2**63 - 1]},
    "scalars": {"f": np.float32(1.5), "i": np.int64(-3), "b": np.bool_(True), "u": np.uint8(200)},
    "nested": {"a": {"b": {"c": [1, [2, [3, {"d": None}]]]}}},
    "dtypes": {d: np.ones((2, 2), d) for d in ["|b1", "|u1", "<i4", "<i8", "<f4", "<f8"]},
    "empty": {"e": np.zeros((0, 7), np.float32), "s": "", "l": [], "m": {}},
    "error": {"code": "bad_message", "message": "what was expected and what came", "retryable": False},
    "spec": {
        "id": "a2w/LiftCube-v0",
        "action_space": {"type": "Box", "dtype": "<f4", "shape": [7], "low": -1.0, "high": 1.0},
        "observation_space": {"type": "Dict", "spaces": {"instruction": {"type": "Text", "max_length": 64}}},
    },
    "header_infer": {"v": "1.0", "type": "infer", "id": 7, "deadline_ms": 2000, "batch": 4},
    "header_ping": {"v": "1.0", "type": "ping", "id": 1},
}
raw = {
    "huge_array": bytes([0x81, 0xA1, 0x61, 0xDD, 0xFF, 0xFF, 0xFF, 0xFF]),
    "huge_bin": bytes([0x81, 0xA1, 0x61, 0xC6, 0xFF, 0xFF, 0xFF, 0xFF, 0x00]),
    "deep": bytes([0x81, 0xA1, 0x64]) + bytes([0x91]) * 40 + bytes([0x01]),
    "ext": bytes([0x81, 0xA1, 0x61, 0xD4, 0x01, 0x02]),
    "bad_shape": pack({"s": {b"__ndarray__": True, b"data": b"\0" * 8, b"dtype": "<f4", b"shape": [3]}}),
    "bad_dtype": pack({"s": {b"__ndarray__": True, b"data": b"\0" * 8, b"dtype": "<U2", b"shape": [1]}}),
}

out = os.path.join(os.path.dirname(__file__), "corpus")
os.makedirs(out, exist_ok=True)
for name, obj in seeds.items():
    with open(os.path.join(out, name + ".msgpack"), "wb") as f:
        f.write(pack(obj))
for name, data in raw.items():
    with open(os.path.join(out, name + ".msgpack"), "wb") as f:
        f.write(data)
print(f"wrote {len(seeds) + len(raw)} seeds to {out}")
