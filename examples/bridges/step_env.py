"""Step an a2w environment from Python: a MuJoCo physics task and, when this build registers it, the same task
imagined by A2World-sim. Nothing is trained; a random policy acts.

    PYTHONPATH=bridges/python /usr/bin/python3 examples/bridges/step_env.py
    PYTHONPATH=bridges/python /usr/bin/python3 examples/bridges/step_env.py --address tcp://127.0.0.1:5556

Without --address it starts the servers itself (`a2w serve env --task ID --bind tcp://127.0.0.1:0`) and stops
them at the end; with it, it connects to a server you started. A2World-sim needs a checkpoint
(models/a2world-default.a2wm or --checkpoint): without one its server says so, and the example says it skipped it.
"""

import argparse
import os
import subprocess
import sys
import time

import numpy as np
from a2w_bridge import RemoteEnv, RemoteError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def start_server(a2w, task, extra):
    """Starts `a2w serve env` on a free port; returns (process, endpoint), or (None, reason) when it failed."""
    cmd = [a2w, "serve", "env", "--task", task, "--bind", "tcp://127.0.0.1:0"] + extra
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = []
    for line in p.stdout:
        out.append(line)
        if " on tcp://" in line:
            return p, line.split(" on ")[-1].strip()
    p.wait()
    return None, "".join(out).strip()


def run_episodes(env, episodes, seed):
    print(f"{env.env_id}: observation space {env.observation_space}")
    print(f"{env.env_id}: action space {env.action_space}, {env.control_hz:g} Hz")
    for k in range(episodes):
        obs, info = env.reset(seed=seed + k)
        ret, steps, t0 = 0.0, 0, time.perf_counter()
        terminated = truncated = False
        while not (terminated or truncated):
            obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
            ret += reward
            steps += 1
        dt = time.perf_counter() - t0
        images = [k for k, v in obs.items() if isinstance(v, np.ndarray) and v.ndim == 3]
        print(
            f"  episode {k}: '{obs['instruction']}' {steps} steps, return {ret:.2f}, "
            f"{'success' if info.get('success') else 'no success'}, "
            f"{'terminated' if terminated else 'truncated'}; {steps / dt:.0f} steps/s; cameras {images}"
        )


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--address", help="an env server to connect to (default: start servers here)")
    ap.add_argument("--task", default="a2w/LiftCube-v0")
    ap.add_argument("--episodes", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--a2w", default=os.path.join(ROOT, "build", "a2w"), help="the a2w command")
    ap.add_argument("--checkpoint", help="A2World-sim checkpoint (default: the shipped one)")
    args = ap.parse_args()

    if args.address:
        env = RemoteEnv(args.address)
        run_episodes(env, args.episodes, args.seed)
        env.close()
        return 0

    name = args.task.split("/", 1)[1]
    runs = [(args.task, ["--image-size", "64"]), (f"a2w-sim/{name}", ["--checkpoint", args.checkpoint] if args.checkpoint else [])]
    for task, extra in runs:
        server, endpoint = start_server(args.a2w, task, extra)
        if server is None:
            print(f"{task}: skipped, its server did not start:\n  {endpoint.splitlines()[-1] if endpoint else '(no output)'}")
            continue
        try:
            try:
                env = RemoteEnv(endpoint)
            except RemoteError as e:  # e.g. A2World-sim without a checkpoint: the server says what is missing
                print(f"{task}: skipped: {e}")
                continue
            if env.is_vector_env:
                print(f"{task}: the server holds a VectorEnv of {env.num_envs}; stepping it batched")
                obs, infos = env.reset(seed=args.seed)
                for _ in range(5):
                    action = np.stack([env.action_space.sample() for _ in range(env.num_envs)])
                    obs, reward, terminated, truncated, infos = env.step(action)
                print(f"  5 batched steps, rewards {np.asarray(reward).round(3).tolist()}")
            else:
                run_episodes(env, args.episodes, args.seed)
            env.close()
        finally:
            server.terminate()
            server.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
