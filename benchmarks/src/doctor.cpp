#include "a2w/bench/doctor.h"

#include <dlfcn.h>
#include <link.h>
#include <mujoco/mujoco.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <thread>

#include "a2w/tasks/renderer.h"

namespace a2w::bench {
namespace {

bool command_ok(const std::string& cmd) { return std::system((cmd + " >/dev/null 2>&1").c_str()) == 0; }

std::string fmt(double v, int digits = 2) {
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(digits);
  s << v;
  return s.str();
}

}  // namespace

std::pair<std::string, std::string> find_blas() {
  // Debian switches libblas.so.3 between implementations with update-alternatives; what matters is the file
  // the dynamic loader really maps, so ask it.
  void* h = dlopen("libblas.so.3", RTLD_LAZY | RTLD_LOCAL);
  if (!h) return {"", "missing"};
  std::string path;
  link_map* map = nullptr;
  if (dlinfo(h, RTLD_DI_LINKMAP, &map) == 0 && map && map->l_name) path = map->l_name;
  const bool has_openblas = dlsym(h, "openblas_get_config") != nullptr;
  dlclose(h);
  std::error_code ec;
  const std::string real = std::filesystem::canonical(path, ec).string();
  const std::string shown = ec ? path : real;
  std::string kind = "reference";
  if (has_openblas || shown.find("openblas") != std::string::npos) {
    kind = "openblas";
    if (shown.find("openmp") != std::string::npos) kind = "openblas-openmp";
    else if (shown.find("pthread") != std::string::npos) kind = "openblas-pthread";
    else if (shown.find("serial") != std::string::npos) kind = "openblas-serial";
  } else if (shown.find("blis") != std::string::npos) {
    kind = "blis";
  } else if (shown.find("mkl") != std::string::npos) {
    kind = "mkl";
  }
  return {shown, kind};
}

DoctorReport doctor() {
  DoctorReport r;
  r.a2w_version = A2W_VERSION;
  r.build_type = A2W_BUILD_TYPE;
  r.cpu_cores = static_cast<int>(std::thread::hardware_concurrency());
  r.mujoco_version = std::to_string(mj_version() / 100) + "." + std::to_string(mj_version() / 10 % 10) + "." +
                     std::to_string(mj_version() % 10);

  try {
    const auto p64 = tasks::probe_rendering(64, 64, 300);
    const auto p128 = tasks::probe_rendering(128, 128, 100);
    r.render_ok = true;
    r.gl_platform = p64.info.platform;
    r.gl_vendor = p64.info.vendor;
    r.gl_renderer = p64.info.renderer;
    r.gl_version = p64.info.version;
    r.gl_software = p64.info.software;
    r.ms_per_frame_64 = p64.ms_per_frame;
    r.ms_per_frame_128 = p128.ms_per_frame;
    if (r.gl_software)
      r.warnings.push_back("SOFTWARE RENDERING: OpenGL runs on the CPU (" + r.gl_renderer +
                           "); camera observations cost " + fmt(r.ms_per_frame_64) +
                           " ms per 64x64 frame. Expected on machines without a GPU.");
  } catch (const std::exception& e) {
    r.render_error = e.what();
    r.warnings.push_back("rendering does not work: " + r.render_error +
                         " (state-only tasks still run: pass {\"render\": false})");
  }

  auto [blas, kind] = find_blas();
  r.blas_library = blas;
  r.blas_kind = kind;
  r.blas_fast = kind != "reference" && kind != "missing";
  if (!r.blas_fast)
    r.warnings.push_back("BLAS is '" + kind + "' (" + (blas.empty() ? "not found" : blas) +
                         "): LibTorch matmuls run 30-40x slower than with OpenBLAS; install "
                         "libopenblas0-openmp (scripts/setup.sh selects it)");

  r.ffmpeg = command_ok("ffmpeg -version");
  if (!r.ffmpeg) r.warnings.push_back("ffmpeg not found: --video and RecordVideo need it (apt-get install ffmpeg)");
  // Debian's python3 (the one python3-h5py, python3-zmq and python3-msgpack install into); a pyenv or venv
  // python3 earlier on PATH often lacks them.
  r.python = std::filesystem::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
  r.py_h5py = command_ok(r.python + " -c 'import h5py'");
  r.py_zmq = command_ok(r.python + " -c 'import zmq'");
  r.py_msgpack = command_ok(r.python + " -c 'import msgpack'");
  r.py_numpy = command_ok(r.python + " -c 'import numpy'");
  return r;
}

env::Dict DoctorReport::to_dict() const {
  env::List warn;
  for (const auto& w : warnings) warn.emplace_back(w);
  return env::Dict{
      {"a2w_version", a2w_version},
      {"build_type", build_type},
      {"cpu_cores", cpu_cores},
      {"mujoco_version", mujoco_version},
      {"render_ok", render_ok},
      {"render_error", render_error},
      {"gl_platform", gl_platform},
      {"gl_vendor", gl_vendor},
      {"gl_renderer", gl_renderer},
      {"gl_version", gl_version},
      {"gl_software", gl_software},
      {"ms_per_frame_64", ms_per_frame_64},
      {"ms_per_frame_128", ms_per_frame_128},
      {"blas_library", blas_library},
      {"blas_kind", blas_kind},
      {"blas_fast", blas_fast},
      {"ffmpeg", ffmpeg},
      {"python", python},
      {"python_h5py", py_h5py},
      {"python_zmq", py_zmq},
      {"python_msgpack", py_msgpack},
      {"python_numpy", py_numpy},
      {"warnings", warn},
  };
}

std::string DoctorReport::to_text() const {
  std::ostringstream o;
  auto yn = [](bool b) { return b ? "yes" : "NO"; };
  o << "a2w " << a2w_version << " (" << build_type << "), " << cpu_cores << " CPU cores\n";
  o << "MuJoCo        " << mujoco_version << "\n";
  if (render_ok) {
    o << "OpenGL        " << gl_vendor << " | " << gl_renderer << " | " << gl_version << " (EGL " << gl_platform
      << ")\n";
    o << "render        " << fmt(ms_per_frame_64) << " ms/frame at 64x64, " << fmt(ms_per_frame_128)
      << " ms/frame at 128x128" << (gl_software ? "  [SOFTWARE]" : "") << "\n";
  } else {
    o << "OpenGL        FAILED: " << render_error << "\n";
  }
  o << "BLAS          " << blas_kind << " (" << (blas_library.empty() ? "not found" : blas_library) << ")\n";
  o << "ffmpeg        " << yn(ffmpeg) << "\n";
  o << "python        " << python << ": numpy " << yn(py_numpy) << ", h5py " << yn(py_h5py) << ", zmq "
    << yn(py_zmq) << ", msgpack " << yn(py_msgpack) << "\n";
  for (const auto& w : warnings) o << "WARNING: " << w << "\n";
  return o.str();
}

}  // namespace a2w::bench
