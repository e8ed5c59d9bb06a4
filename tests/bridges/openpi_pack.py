"""Byte compatibility with openpi's encoder, both ways.

  openpi_pack.py pack OUT     writes a LIBERO-style observation packed by openpi's msgpack_numpy to OUT
  openpi_pack.py check IN     reads bytes a2w encoded and checks they decode (with openpi's decoder) to the
                              same observation, and re-pack to the same bytes
"""

import sys

import numpy as np
import openpi_msgpack as m


def observation():
    rng = np.random.default_rng(0)
    return {
        "observation/image": rng.integers(0, 256, (224, 224, 3), dtype=np.uint8),
        "observation/wrist_image": rng.integers(0, 256, (224, 224, 3), dtype=np.uint8),
        "observation/state": rng.standard_normal(8),  # float64, as openpi's LIBERO example sends
        "prompt": "put the red cube in the bin",
        "mask": np.array([True, False, True]),
        "step": np.arange(3, dtype=np.int64),
        "gains": np.float32([0.5, -1.25]),
        "images": {"cam_high": np.zeros((3, 4, 4), np.uint8)},  # ALOHA-style nesting
        "joints": [0.1, -2, 300, 70000, -40000, 2**40, None, True],
        "weight": 0.75,
        "reward": 1.0,  # integral floats stay float64 (0xcb)
        "scores": [0.0, -2.0, 1e19],
    }


def main():
    mode, path = sys.argv[1], sys.argv[2]
    if mode == "pack":
        with open(path, "wb") as f:
            f.write(m.packb(observation()))
        print("PACKED", path)
        return
    data = open(path, "rb").read()
    got = m.unpackb(data)
    want = observation()
    assert list(got) == list(want), (list(got), list(want))
    for k, v in want.items():
        g = got[k]
        if isinstance(v, np.ndarray):
            assert isinstance(g, np.ndarray) and g.dtype == v.dtype and g.shape == v.shape and np.array_equal(g, v), k
        elif isinstance(v, dict):
            assert np.array_equal(g["cam_high"], v["cam_high"]), k
        else:
            assert g == v, (k, g, v)
    assert m.packb(got) == data, "re-packing what a2w encoded gives other bytes"
    print("CHECKED", len(data), "bytes")


if __name__ == "__main__":
    main()
