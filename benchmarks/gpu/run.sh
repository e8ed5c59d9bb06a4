#!/usr/bin/env bash
# The prepared GPU benchmark (issue 8): builds a2w against Python's CUDA LibTorch and, within a time budget,
# measures what the GPU path is for, writing one JSON file.
#
#   benchmarks/gpu/run.sh [--dry-run] [--debs DIR] [--budget S] [--skip-build] [--keep]
#
# On the GPU machine (CUDA, a compiler, CMake and Python's PyTorch; none of a2w's Debian packages):
#   1. the card: nvidia-smi's name, memory, driver and compute capability
#   2. unpacks the .deb files in DIR (--debs, else $DEBS, else shared/debs; benchmarks/gpu/fetch_debs.sh
#      downloads them, benchmarks/gpu/packages.txt lists them) with `dpkg -x` into a private prefix
#   3. configures build-cuda/ with -DA2W_CUDA=ON against the LibTorch of `python3 -c 'import torch;
#      print(torch.utils.cmake_prefix_path)'` and that prefix, and builds only `a2w` and `test_worldmodel`
#   4. measures, each step under its own timeout cut to what is left of the budget (default 480 s from the
#      start, build included; a step that no longer fits is recorded as skipped):
#        wm_default     `a2w bench wm --device cuda --batches 1,64,256`: imagined env steps/s with the shipped
#                       checkpoint (the "cpu" preset), beside the physics env rendering both views at that size
#        env            `a2w bench env`: physics steps/s with both views rendered (EGL on the NVIDIA device)
#        kernel         test_worldmodel's "frames kernel" test: the CUDA kernel against its CPU reference,
#                       max |diff|, ms per launch beside LibTorch's own conversion (A2W_KERNEL_REPORT)
#        doctor         `a2w doctor`: the GL platform, vendor and renderer
#        render         three expert LiftCube episodes recorded into $OUT/render_cuda.hdf5, to compare with the
#                       CPU renderer's (benchmarks/gpu/compare_render.py)
#        collect, fidelity_float32, fidelity_bfloat16
#                       a tiny LiftCube dataset, and `a2w wm eval --precision` on it in both precisions
#        train_cpu, train_gpu
#                       `a2w wm pretrain --device cuda` for a few steps: training iterations/s of the "cpu" and
#                       the "gpu" preset (4x wider)
#        wm_gpu_config  `a2w bench wm --config gpu`: the "gpu" preset with random weights (its speed is the
#                       architecture's)
#   5. writes $OUT/gpu_bench.json (./gpu_bench.json when OUT is unset) with every step's status, seconds and
#      JSON, and a summary; the steps' logs go to gpu_bench.log beside it.
#
# --dry-run (or A2W_GPU_DRY_RUN=1) runs the same sequence on the CPU with the existing build/a2w and
# build/tests/test_worldmodel (A2W_BIN, A2W_TEST override them), tiny batches and seconds, one thread, to
# prove the script's logic on a machine without a GPU: no build unless DRY_RUN_CONFIGURE=1, which configures
# (only) a throwaway build against the unpacked prefix. Its figures are not GPU figures.
#
# Environment: OUT, DEBS, BUILD (build-cuda), BUDGET_S (480), JOBS (nproc), BENCH_SECONDS (2), ROUNDS (3),
# BATCHES (1,64,256), TRAIN_STEPS (100), TRAIN_BATCH (64), CUDA_ARCH (from nvidia-smi, e.g. 90), WORK (a
# temporary folder for logs, the prefix, data and checkpoints; all but the logs removed at the end unless
# --keep).
set -uo pipefail  # no -e: a failed step is recorded and the next one still runs

root=$(cd "$(dirname "$0")/../.." && pwd)
caller=$PWD

DRY_RUN=${A2W_GPU_DRY_RUN:-0}
DEBS_DIR=${DEBS:-}
BUDGET_S=${BUDGET_S:-480}
SKIP_BUILD=0
KEEP=0
while (($#)); do
  case $1 in
    --dry-run) DRY_RUN=1 ;;
    --debs) DEBS_DIR=$2; shift ;;
    --budget) BUDGET_S=$2; shift ;;
    --skip-build) SKIP_BUILD=1 ;;
    --keep) KEEP=1 ;;
    -h | --help) sed -n '2,/^set -uo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done
# Paths given by the caller are relative to where it stands; the defaults to the repository root.
absolute() { case $1 in /*) echo "$1" ;; *) echo "$caller/$1" ;; esac; }
if [ -z "$DEBS_DIR" ]; then DEBS_DIR=$root/shared/debs; else DEBS_DIR=$(absolute "$DEBS_DIR"); fi
[ -n "${OUT:-}" ] && OUT=$(absolute "$OUT")
[ -n "${BUILD:-}" ] && BUILD=$(absolute "$BUILD")
[ -n "${A2W_BIN:-}" ] && A2W_BIN=$(absolute "$A2W_BIN")
[ -n "${A2W_TEST:-}" ] && A2W_TEST=$(absolute "$A2W_TEST")
cd "$root" || exit 2

t_start=$(date +%s)
deadline=$((t_start + BUDGET_S))
result_dir=${OUT:-$caller}
mkdir -p "$result_dir"
RESULT=$result_dir/gpu_bench.json
LOG=$result_dir/gpu_bench.log
WORK=${WORK:-$(mktemp -d /tmp/a2w-gpu.XXXXXX)}
mkdir -p "$WORK/steps"
: >"$LOG"
if [ "$KEEP" = 0 ]; then trap 'rm -rf "$WORK/prefix" "$WORK/data" "$WORK/train"' EXIT; fi

say() { echo "run.sh [$(($(date +%s) - t_start)) s] $*" | tee -a "$LOG" >&2; }

# step NAME CAP_S CMD...: runs CMD with stdout in steps/NAME.out and stderr in steps/NAME.err, under a timeout
# of CAP_S or what is left of the budget, whichever is less; writes steps/NAME.status.json.
step() {
  local name=$1 cap=$2
  shift 2
  local left=$((deadline - $(date +%s)))
  local status rc=0 t0 t1
  if ((left < 15)); then
    say "$name: skipped, ${left} s of the budget left"
    printf '{"status": "skipped", "reason": "budget", "seconds": 0}\n' >"$WORK/steps/$name.status.json"
    return 1
  fi
  local limit=$((cap < left ? cap : left))
  say "$name: $* (timeout ${limit} s)"
  t0=$(date +%s%N)
  timeout --kill-after=10 "$limit" "$@" >"$WORK/steps/$name.out" 2>"$WORK/steps/$name.err" || rc=$?
  t1=$(date +%s%N)
  case $rc in
    0) status=ok ;;
    124 | 137) status=timeout ;;
    *) status=failed ;;
  esac
  {
    echo "----- $name: rc $rc ($status), stderr tail:"
    tail -n 25 "$WORK/steps/$name.err"
    if [ "$status" != ok ]; then
      echo "----- $name: stdout tail:"
      tail -n 60 "$WORK/steps/$name.out"
    fi
  } >>"$LOG"
  [ "$status" != ok ] && tail -n 5 "$WORK/steps/$name.err" >&2
  printf '{"status": "%s", "rc": %d, "seconds": %s, "timeout_s": %d}\n' "$status" "$rc" \
    "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')" "$limit" \
    >"$WORK/steps/$name.status.json"
  say "$name: $status"
  [ "$status" = ok ]
}

note() { printf '%s\n' "$*" >>"$WORK/notes.txt"; }

# ---------------------------------------------------------------------------------------------------- device
if [ "$DRY_RUN" = 1 ]; then
  say "dry run: CPU only, tiny sizes; the figures are not GPU figures"
  device_name="cpu (dry run): $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
  DEVICE=cpu
  echo "$device_name" >"$WORK/device.txt"
else
  if ! command -v nvidia-smi >/dev/null; then
    echo "run.sh: no nvidia-smi: this script measures a GPU (--dry-run runs it on the CPU)" >&2
    exit 2
  fi
  DEVICE=cuda
  nvidia-smi --query-gpu=name --format=csv,noheader | head -n1 >"$WORK/device.txt"
  nvidia-smi --query-gpu=name,memory.total,driver_version,compute_cap --format=csv,noheader \
    >"$WORK/device_full.txt" 2>&1 || true
  say "GPU: $(cat "$WORK/device_full.txt")"
  if [ -z "${CUDA_ARCH:-}" ]; then
    CUDA_ARCH=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -n1 | tr -d ' .')
  fi
fi
echo "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')" >"$WORK/host.txt"

# ---------------------------------------------------------------------------------------------------- prefix
# dpkg -x each .deb into $PREFIX (ar + tar where dpkg is missing), then re-point absolute symlinks (Debian's
# libz.so -> /lib/x86_64-linux-gnu/libz.so.1.2.13) into the prefix, or to the system's library of that name.
PREFIX=$WORK/prefix
LIBDIR=$PREFIX/usr/lib/x86_64-linux-gnu
unpack_debs() {
  local deb n=0
  mkdir -p "$PREFIX"
  for deb in "$DEBS_DIR"/*.deb; do
    if command -v dpkg >/dev/null; then
      dpkg -x "$deb" "$PREFIX" || return 1
    else
      local tmp
      tmp=$(mktemp -d)
      (cd "$tmp" && ar x "$deb" && tar -xf data.tar.* -C "$PREFIX") || return 1
      rm -rf "$tmp"
    fi
    n=$((n + 1))
  done
  local link target base sys
  while IFS= read -r link; do
    target=$(readlink "$link")
    if [ -e "$PREFIX$target" ]; then
      ln -sfn "$PREFIX$target" "$link"
    elif [ ! -e "$target" ]; then
      base=$(basename "$link")
      sys=$(ls "$(dirname "$target")/$base".* /usr/lib/x86_64-linux-gnu/"$base".* 2>/dev/null | head -n1)
      [ -n "$sys" ] && ln -sfn "$sys" "$link"
    fi
  done < <(find "$PREFIX" -type l -lname '/*')
  # CMake package files that list an absolute /usr/include folder after their own (mujoco's names
  # /usr/include/libqhull_r/): point it into the prefix, where that package's headers were unpacked.
  find "$PREFIX/usr/lib/x86_64-linux-gnu/cmake" "$PREFIX/usr/share/cmake" -name '*.cmake' -print0 2>/dev/null |
    xargs -0r sed -i "s|;/usr/include/|;$PREFIX/usr/include/|g"
  # pkg-config from the prefix, with its own library; .pc files relocated into the prefix.
  mkdir -p "$PREFIX/bin"
  cat >"$PREFIX/bin/pkg-config" <<EOF
#!/bin/sh
export PKG_CONFIG_LIBDIR="$LIBDIR/pkgconfig:$PREFIX/usr/share/pkgconfig"
export PKG_CONFIG_SYSROOT_DIR="$PREFIX"
export LD_LIBRARY_PATH="$LIBDIR\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
exec "$PREFIX/usr/bin/pkgconf" "\$@"
EOF
  chmod +x "$PREFIX/bin/pkg-config"
  echo "$n"
}
have_prefix=0
if compgen -G "$DEBS_DIR/*.deb" >/dev/null; then
  count=$(unpack_debs) && have_prefix=1
  say "prefix: ${count:-?} packages from $DEBS_DIR unpacked into $PREFIX"
else
  say "prefix: no .deb files in $DEBS_DIR: relying on the system's packages"
  note "no .deb files in $DEBS_DIR; the build used the system's packages"
fi

# a2w and its tests run with the prefix's libraries; nothing else does (they are older than the system's).
RUN_ENV=(env)
if [ "$have_prefix" = 1 ]; then
  RUN_ENV+=("LD_LIBRARY_PATH=$LIBDIR:$LIBDIR/hdf5/serial${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}")
fi
# The GLVND EGL loader from the prefix looks for vendor files in /usr/share and /etc; containers often mount
# NVIDIA's elsewhere.
if [ "$DEVICE" = cuda ] && [ -z "${__EGL_VENDOR_LIBRARY_FILENAMES:-}" ] &&
  ! ls /usr/share/glvnd/egl_vendor.d/*nvidia* /etc/glvnd/egl_vendor.d/*nvidia* >/dev/null 2>&1; then
  for f in /usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json /usr/local/share/glvnd/egl_vendor.d/10_nvidia.json; do
    if [ -f "$f" ]; then
      RUN_ENV+=("__EGL_VENDOR_LIBRARY_FILENAMES=$f")
      break
    fi
  done
fi

# ---------------------------------------------------------------------------------------------------- build
BUILD=${BUILD:-build-cuda}
case $BUILD in /*) ;; *) BUILD=$root/$BUILD ;; esac
torch_prefix=""
if [ "$DEVICE" = cuda ] || [ "${DRY_RUN_CONFIGURE:-0}" = 1 ]; then
  torch_prefix=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)' 2>/dev/null || true)
  if [ -n "$torch_prefix" ]; then
    say "LibTorch: $torch_prefix ($(python3 -c 'import torch; print(torch.__version__, "cuda", torch.version.cuda)' 2>/dev/null))"
  elif [ "$DEVICE" = cuda ]; then
    echo "run.sh: python3 has no torch; a CUDA LibTorch is needed (torch.utils.cmake_prefix_path)" >&2
    exit 2
  else
    note "dry run: python3 has no torch, so the configure used the system's CPU LibTorch"
  fi
fi
cmake_args=(-DCMAKE_BUILD_TYPE=Release -DA2W_BUILD_EXAMPLES=OFF)
# A failed build goes on with the other files, so one log lists every error of the run.
keep_going=(-k)
if command -v ninja >/dev/null; then cmake_args+=(-G Ninja); keep_going=(-k 0); fi
prefix_path=$torch_prefix
if [ "$have_prefix" = 1 ]; then
  prefix_path="$PREFIX/usr${prefix_path:+;$prefix_path}"
  # RPATH (not RUNPATH, which only serves a binary's direct needs) into the prefix: the test binary runs during
  # the build (doctest's test discovery), where no LD_LIBRARY_PATH is set.
  link_flags="-L$LIBDIR -Wl,-rpath-link,$LIBDIR -Wl,-rpath-link,$LIBDIR/hdf5/serial -Wl,--disable-new-dtags"
  link_flags+=" -Wl,-rpath,$LIBDIR:$LIBDIR/hdf5/serial"
  cmake_args+=(-DPKG_CONFIG_EXECUTABLE="$PREFIX/bin/pkg-config"
    -DHDF5_ROOT="$LIBDIR/hdf5/serial" -DHDF5_C_INCLUDE_DIR="$PREFIX/usr/include/hdf5/serial"
    -DHDF5_C_LIBRARY_hdf5="$LIBDIR/hdf5/serial/libhdf5.so"
    -DCMAKE_EXE_LINKER_FLAGS="$link_flags" -DCMAKE_SHARED_LINKER_FLAGS="$link_flags")
fi
[ -n "$prefix_path" ] && cmake_args+=(-DCMAKE_PREFIX_PATH="$prefix_path")

if [ "$DEVICE" = cuda ]; then
  A2W=$BUILD/a2w
  A2W_TEST_BIN=$BUILD/tests/test_worldmodel
  # Warnings stay errors in CI (Debian 12's GCC and LibTorch 1.13); here the compiler and LibTorch are newer and
  # a new warning must not cost the one GPU run. CMake 4 refuses old package configs without the minimum.
  cmake_args+=(-DA2W_CUDA=ON -DA2W_WERROR=OFF -DA2W_BUILD_TESTS=ON -DCMAKE_POLICY_VERSION_MINIMUM=3.5)
  [ -n "${CUDA_ARCH:-}" ] && cmake_args+=(-DCMAKE_CUDA_ARCHITECTURES="$CUDA_ARCH")
  echo "$BUILD" >"$WORK/build_dir.txt"
  if [ "$SKIP_BUILD" = 0 ]; then
    step configure 240 cmake -S . -B "$BUILD" "${cmake_args[@]}" &&
      step build 480 cmake --build "$BUILD" --target a2w test_worldmodel -j"${JOBS:-$(nproc)}" -- "${keep_going[@]}"
  fi
else
  A2W=${A2W_BIN:-$root/build/a2w}
  A2W_TEST_BIN=${A2W_TEST:-$root/build/tests/test_worldmodel}
  if [ "${DRY_RUN_CONFIGURE:-0}" = 1 ]; then
    # Configure only, in a throwaway folder (the report lists where each package was found).
    step configure 240 cmake -S . -B "$WORK/build-dry" "${cmake_args[@]}"
    echo "$WORK/build-dry" >"$WORK/build_dir.txt"
  fi
fi

# ---------------------------------------------------------------------------------------------------- measure
if [ "$DRY_RUN" = 1 ]; then
  BATCHES=${BATCHES:-1,2}
  BENCH_SECONDS=${BENCH_SECONDS:-0.3}
  ROUNDS=${ROUNDS:-1}
  TRAIN_STEPS=${TRAIN_STEPS:-2}
  TRAIN_BATCH=${TRAIN_BATCH:-2}
  THREADS=(--threads 1)
  GPU_CONFIG_BATCHES=${GPU_CONFIG_BATCHES:-1}
  TRAIN_PRESETS=(tiny gpu)
  COLLECT=(--episodes 1 --num-envs 1)
  ENV_BENCH=(--seconds 0.2 --rounds 1 --num-envs 2)
else
  BATCHES=${BATCHES:-1,64,256}
  BENCH_SECONDS=${BENCH_SECONDS:-2}
  ROUNDS=${ROUNDS:-3}
  TRAIN_STEPS=${TRAIN_STEPS:-100}
  TRAIN_BATCH=${TRAIN_BATCH:-64}
  THREADS=()
  TRAIN_PRESETS=(cpu gpu)
  COLLECT=(--episodes 4 --num-envs 16)
  ENV_BENCH=(--seconds 1 --rounds 3 --num-envs 4)
fi

if [ -x "$A2W" ]; then
  # In order of what the issue asks first: the imagined-steps/s target, physics with GPU rendering beside it,
  # the kernel against its reference; then the GL renderer, the images it makes, bf16 against float32 quality,
  # training speed, and the 4x wider preset.
  wm_common=(bench wm --device "$DEVICE" --seconds "$BENCH_SECONDS" --rounds "$ROUNDS" --json --quiet
    "${THREADS[@]}")
  step wm_default 150 "${RUN_ENV[@]}" "$A2W" "${wm_common[@]}" --batches "$BATCHES"
  step env 90 "${RUN_ENV[@]}" "$A2W" bench env --image-size 64 --json --quiet "${ENV_BENCH[@]}"
  # kernel vs reference: in a CUDA build the CUDA test runs (or is counted skipped without a GPU); in a CPU
  # build only the reference's own tests exist.
  if [ -x "$A2W_TEST_BIN" ]; then
    step kernel 90 "${RUN_ENV[@]}" A2W_KERNEL_REPORT="$WORK/kernel_report.json" "$A2W_TEST_BIN" \
      --test-case='frames*' --no-intro
  fi
  step doctor 60 "${RUN_ENV[@]}" "$A2W" doctor --json
  # Three expert episodes recorded with the GPU renderer: compared with the CPU (llvmpipe) renderer's images of
  # the same episode elsewhere (the file comes back beside the JSON).
  step render 60 "${RUN_ENV[@]}" "$A2W" rollout --task a2w/LiftCube-v0 --policy expert --episodes 3 --seed 7 \
    --image-size 64 --num-envs 1 --record "$result_dir/render_${DEVICE}.hdf5" --overwrite --json --quiet
  if step collect 90 "${RUN_ENV[@]}" "$A2W" collect --out "$WORK/data" --tasks a2w/LiftCube-v0 --noise 0 \
    --image-size 64 --seed 1 --overwrite --json --quiet "${COLLECT[@]}" "${THREADS[@]}"; then
    # bf16 against float32: the same open-loop replay (same sampling noise) in both precisions.
    for precision in float32 bfloat16; do
      step "fidelity_$precision" 60 "${RUN_ENV[@]}" "$A2W" wm eval --data "$WORK/data" --device "$DEVICE" \
        --precision "$precision" --horizons 1,8 --no-erase --json --quiet "${THREADS[@]}"
    done
    for preset in "${TRAIN_PRESETS[@]}"; do
      step "train_$preset" 120 "${RUN_ENV[@]}" "$A2W" wm pretrain --data "$WORK/data" \
        --out "$WORK/train/$preset.pt" --config "$preset" --steps "$TRAIN_STEPS" --batch "$TRAIN_BATCH" \
        --checkpoint-every 0 --device "$DEVICE" --json --quiet "${THREADS[@]}"
    done
  fi
  # The 4x wider "gpu" preset with random weights (the cost per step is the architecture's). On a CPU (dry run)
  # it takes seconds per step: batch 1 only there.
  step wm_gpu_config 150 "${RUN_ENV[@]}" "$A2W" "${wm_common[@]}" --config gpu \
    --batches "${GPU_CONFIG_BATCHES:-$BATCHES}"
else
  say "no a2w binary at $A2W: nothing measured"
  note "no a2w binary at $A2W"
fi

# ---------------------------------------------------------------------------------------------------- report
python3 - "$WORK" "$RESULT" "$DRY_RUN" "$t_start" "$BUDGET_S" "$root" <<'EOF'
import datetime, json, os, re, subprocess, sys, time

work, result, dry, t_start, budget, root = sys.argv[1:7]
steps_dir = os.path.join(work, "steps")


def read(path, default=""):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return default


def json_of(text):
    """The last JSON object printed on stdout (a2w prints one line with --json)."""
    for line in reversed(text.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                pass
    try:
        return json.loads(text)
    except ValueError:
        return None


steps = {}
for name in sorted(os.listdir(steps_dir)) if os.path.isdir(steps_dir) else []:
    if not name.endswith(".status.json"):
        continue
    key = name[: -len(".status.json")]
    s = json.loads(read(os.path.join(steps_dir, name), "{}"))
    out = read(os.path.join(steps_dir, key + ".out"))
    if key == "kernel":
        # (doctest counts the cases its filter left out as skipped, so only these two are read)
        m = re.search(r"test cases:\s*\d+\s*\|\s*(\d+) passed\s*\|\s*(\d+) failed", out)
        if m:
            s["test_cases"] = {"passed": int(m.group(1)), "failed": int(m.group(2))}
        report = read(os.path.join(work, "kernel_report.json"))
        s["report"] = json.loads(report) if report else None
        if not report:
            s["note"] = ("the CUDA test did not run (a CPU build, or no GPU seen): only the CPU "
                         "reference's own tests ran")
    elif key not in ("configure", "build"):
        r = json_of(out)
        if isinstance(r, dict) and "curve" in r:
            # The loss curve is long; its last interval's rate is the steady one (no start-up in it).
            curve = r.pop("curve") or []
            if len(curve) >= 2 and r.get("batch_size"):
                s["steady_iterations_per_s"] = curve[-1].get("samples_per_second", 0) / r["batch_size"]
                s["steady_over_steps"] = curve[-1].get("step", 0) - curve[-2].get("step", 0)
        s["result"] = r
    if s.get("status") != "ok":
        s["stderr_tail"] = read(os.path.join(steps_dir, key + ".err")).splitlines()[-15:]
    steps[key] = s


summary = {}
for key in ("wm_default", "wm_gpu_config"):
    r = (steps.get(key) or {}).get("result") or {}
    rows = r.get("imagined") or []
    if rows:
        summary[key] = {
            "model": r.get("model"),
            "parameters": r.get("parameters"),
            "imagined_steps_per_s": {str(x.get("batch")): x.get("imagined_steps_per_s") for x in rows},
            "raw_predict_rows_per_s": {str(x.get("batch")): x.get("raw_predict_rows_per_s") for x in rows},
            "physics_render_steps_per_s_1_env": r.get("physics_render_steps_per_s"),
            "precision": r.get("precision"),
            "image_size": r.get("image_size"),
            "views": r.get("views"),
            "sampling_steps": r.get("sampling_steps"),
        }
for key, s in steps.items():
    if key.startswith("train_") and isinstance(s.get("result"), dict):
        t = s["result"]
        done = (t.get("steps") or 0) - (t.get("start_step") or 0)
        summary[key] = {
            "iterations_per_s": done / t["seconds"] if t.get("seconds") else None,
            "steady_iterations_per_s": s.get("steady_iterations_per_s"),
            "batch_size": t.get("batch_size"),
            "steps": done,
            "precision": t.get("precision"),
            "parameters": t.get("parameters"),
        }
env = (steps.get("env") or {}).get("result") or {}
if env:
    summary["physics_rendered"] = {
        "renderer": env.get("renderer"),
        "image_size": env.get("image_size"),
        "vector_render_steps_per_s_1_env": env.get("vector_render_steps_per_s"),
        "render_steps_per_s_1_thread": env.get("render_1_thread_steps_per_s"),
        "render_steps_per_s_2_threads": env.get("render_2_threads_steps_per_s"),
        "raw_render_pairs_per_s": env.get("raw_render_pairs_per_s"),
    }
doctor = (steps.get("doctor") or {}).get("result") or {}
if doctor:
    summary["gl"] = {k: doctor.get(k) for k in ("gl_platform", "gl_vendor", "gl_renderer", "gl_software",
                                                 "ms_per_frame_64", "ms_per_frame_128")}
fidelity = {}
for precision in ("float32", "bfloat16"):
    r = (steps.get("fidelity_" + precision) or {}).get("result") or {}
    for g in r.get("groups") or []:
        if g.get("name") != "all":
            continue
        for h in g.get("horizons") or []:
            fidelity.setdefault(precision, {})["psnr_h%d" % h["horizon"]] = (h.get("model") or {}).get("psnr")
            fidelity[precision]["ssim_h%d" % h["horizon"]] = (h.get("model") or {}).get("ssim")
if fidelity:
    f32, b16 = fidelity.get("float32", {}), fidelity.get("bfloat16", {})
    if f32.get("psnr_h8") is not None and b16.get("psnr_h8") is not None:
        fidelity["bf16_minus_fp32_psnr_h8_db"] = b16["psnr_h8"] - f32["psnr_h8"]
    summary["fidelity"] = fidelity
kernel = (steps.get("kernel") or {}).get("report") or {}
if kernel:
    summary["kernel_max_abs_diff"] = max(c.get("max_abs_diff", 0) for c in kernel.get("cases", [])) \
        if kernel.get("cases") else None
b256 = ((summary.get("wm_default") or {}).get("imagined_steps_per_s") or {}).get("256")
if b256 is not None and dry != "1":
    summary["default_b256_at_least_2000_steps_per_s"] = b256 >= 2000

# Where configure found each dependency (the prefix, or the system), from the build folder's cache.
found = {}
cache = os.path.join(read(os.path.join(work, "build_dir.txt")), "CMakeCache.txt")
if os.path.isfile(cache):
    keys = ("Torch_DIR", "mujoco_DIR", "yaml-cpp_DIR", "HDF5_C_LIBRARY_hdf5", "ZLIB_LIBRARY_RELEASE",
            "pkgcfg_lib_EGL_EGL", "OPENGL_gl_LIBRARY", "OPENGL_opengl_LIBRARY", "cppzmq_DIR", "ZeroMQ_DIR",
            "msgpack_DIR", "msgpack-cxx_DIR", "Boost_DIR", "doctest_DIR", "CMAKE_CUDA_COMPILER",
            "CMAKE_CUDA_ARCHITECTURES", "A2W_CUDA")
    for line in read(cache).splitlines():
        name, _, value = line.partition("=")
        name = name.split(":")[0]
        if name in keys:
            found[name] = value

def git(*args):
    try:
        return subprocess.run(["git", "-C", root, *args], capture_output=True, text=True).stdout.strip()
    except OSError:
        return ""

doc = {
    "schema": "a2w-gpu-bench/1",
    "dry_run": dry == "1",
    "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    "device": read(os.path.join(work, "device.txt")),
    "device_details": read(os.path.join(work, "device_full.txt")) or None,
    "host": read(os.path.join(work, "host.txt")),
    "git": {"commit": git("rev-parse", "HEAD"), "dirty": bool(git("status", "--porcelain"))},
    "budget_s": int(budget),
    "configure_found": found or None,
    "wall_s": round(time.time() - int(t_start), 1),
    "notes": [l for l in read(os.path.join(work, "notes.txt")).splitlines() if l],
    "summary": summary,
    "steps": steps,
}
with open(result, "w") as f:
    json.dump(doc, f, indent=1)
    f.write("\n")
print(json.dumps(summary, indent=1))
EOF
say "wrote $RESULT (log: $LOG)"
