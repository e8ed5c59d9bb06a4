#pragma once
// doctor(): what this machine gives a2w, checked rather than assumed: MuJoCo version, the OpenGL renderer
// that EGL really picked (llvmpipe is a loud warning: every image is rendered on the CPU), measured ms per
// frame, which BLAS library the process would load (Debian's reference BLAS is 30-40x slower than OpenBLAS
// for our matmuls), and the external tools a2w calls (ffmpeg, python3 modules of the bridges and tests).

#include <string>
#include <vector>

#include "a2w/env/value.h"

namespace a2w::bench {

struct DoctorReport {
  std::string a2w_version, build_type;
  int cpu_cores = 0;
  std::string mujoco_version;
  // Rendering.
  bool render_ok = false;
  std::string render_error;
  std::string gl_platform, gl_vendor, gl_renderer, gl_version;
  bool gl_software = false;
  double ms_per_frame_64 = 0.0, ms_per_frame_128 = 0.0;
  // BLAS: the file libblas.so.3 resolves to, and its family ("openblas-openmp", "reference", ...).
  std::string blas_library, blas_kind;
  bool blas_fast = false;
  // Tools.
  bool ffmpeg = false;
  std::string python;  // interpreter used for the Python checks
  bool py_h5py = false, py_zmq = false, py_msgpack = false, py_numpy = false;
  // Human-readable warnings, each one line.
  std::vector<std::string> warnings;

  env::Dict to_dict() const;
  std::string to_text() const;
};

// Runs every check (about a second: it renders a few hundred small frames).
DoctorReport doctor();

// The BLAS that `dlopen("libblas.so.3")` gives, as a resolved path, and its family.
std::pair<std::string, std::string> find_blas();

}  // namespace a2w::bench
