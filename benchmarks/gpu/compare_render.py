#!/usr/bin/env python3
"""Compares the camera images of two recordings of the same episodes (`a2w rollout --record`), e.g. one made
with the GPU renderer (benchmarks/gpu/run.sh writes render_cuda.hdf5) and one with Mesa's llvmpipe:

    python3 benchmarks/gpu/compare_render.py render_cuda.hdf5 render_cpu.hdf5 [--json]

The physics must be the same for the images to be comparable: the script first checks that the recorded
actions and states agree, then reports per camera the mean and largest absolute difference in 8-bit levels,
PSNR, and the share of pixels where a channel differs by more than 8 and by more than 32 levels."""
import json
import math
import sys

import h5py
import numpy as np


def compare(a_path, b_path):
    a, b = h5py.File(a_path, "r"), h5py.File(b_path, "r")
    demos = sorted(set(a["data"].keys()) & set(b["data"].keys()))
    if not demos:
        raise SystemExit(f"compare_render: expected common episodes (data/demo_N), got none in {a_path} and {b_path}")
    out = {"episodes": len(demos), "frames": 0, "state_max_abs_diff": 0.0, "action_max_abs_diff": 0.0,
           "cameras": {}}
    diffs = {}
    for d in demos:
        ga, gb = a["data"][d], b["data"][d]
        if ga["actions"].shape != gb["actions"].shape:
            raise SystemExit(f"compare_render: {d} has {ga['actions'].shape[0]} steps in one file and "
                             f"{gb['actions'].shape[0]} in the other: not the same episode")
        out["action_max_abs_diff"] = max(out["action_max_abs_diff"],
                                         float(np.abs(ga["actions"][()] - gb["actions"][()]).max()))
        out["state_max_abs_diff"] = max(out["state_max_abs_diff"],
                                        float(np.abs(ga["state/vector"][()] - gb["state/vector"][()]).max()))
        out["frames"] += ga["actions"].shape[0]
        for key in ga["obs"]:
            x = ga["obs"][key]
            if x.dtype != np.uint8 or x.ndim != 4 or x.shape[-1] != 3:
                continue
            diffs.setdefault(key, []).append(np.abs(x[()].astype(np.int16) - gb["obs"][key][()].astype(np.int16)))
    for key, parts in diffs.items():
        d = np.concatenate(parts)
        mse = float((d.astype(np.float64) ** 2).mean())
        per_pixel = d.max(axis=-1)
        out["cameras"][key] = {
            "mean_abs_diff": float(d.mean()),
            "max_abs_diff": int(d.max()),
            "psnr_db": math.inf if mse == 0 else 10 * math.log10(255.0 ** 2 / mse),
            "pixels_over_8_levels": float((per_pixel > 8).mean()),
            "pixels_over_32_levels": float((per_pixel > 32).mean()),
        }
    return out


def main():
    args = [x for x in sys.argv[1:] if x != "--json"]
    if len(args) != 2:
        raise SystemExit(__doc__)
    r = compare(*args)
    if "--json" in sys.argv:
        print(json.dumps(r))
        return
    print(f"{r['episodes']} episodes, {r['frames']} frames; largest state difference {r['state_max_abs_diff']:.3g}, "
          f"action {r['action_max_abs_diff']:.3g}")
    for key, c in r["cameras"].items():
        print(f"{key}: mean |diff| {c['mean_abs_diff']:.2f} levels, max {c['max_abs_diff']}, PSNR "
              f"{c['psnr_db']:.1f} dB, pixels > 8 levels {100 * c['pixels_over_8_levels']:.2f} %, "
              f"> 32 levels {100 * c['pixels_over_32_levels']:.2f} %")


if __name__ == "__main__":
    main()
