#pragma once
// Renderer: headless offscreen rendering of a MuJoCo model through EGL, with no X server.
//
// On a machine without a GPU, Mesa's llvmpipe through EGL's surfaceless platform; on an NVIDIA machine, the
// EGL device platform (chosen automatically; A2W_EGL_PLATFORM=surfaceless|device forces a platform,
// A2W_EGL_DEVICE=<index> picks a device). Each Renderer owns one EGL context and one mjrContext; it makes
// its context current on the calling thread when needed, so a Renderer must be used by one thread at a time
// (VectorEnv pins each env to one worker thread). The offscreen buffer is the model's
// visual/global offwidth x offheight and must be at least width x height.
//
// Images follow a2w's camera convention: uint8 H x W x 3, row 0 is the top of the image (no flips); depth is
// float32 H x W in metres along the camera axis.

#include <mujoco/mujoco.h>

#include <cstdint>
#include <memory>
#include <string>

namespace a2w::tasks {

struct GlInfo {
  std::string platform;   // "surfaceless" or "device"
  std::string vendor;     // GL_VENDOR
  std::string renderer;   // GL_RENDERER, e.g. "llvmpipe (LLVM 15.0.6, 256 bits)"
  std::string version;    // GL_VERSION
  bool software = false;  // true for llvmpipe, softpipe, swrast
  // Which of the process's EGL displays the context lives on. llvmpipe rasterises one display's frames one at
  // a time, so on Mesa's surfaceless platform render threads spread over two displays (0 and 1); elsewhere 0.
  int display = 0;
};

struct RendererOptions {
  int width = 128;
  int height = 128;
  bool shadows = false;  // cost a lot on llvmpipe
  bool reflections = false;
  // Leave out the geoms wholly outside the camera's view before drawing: the same pixels and depth, bit
  // for bit, in about three quarters of the time on llvmpipe (MuJoCo draws every geom and lets OpenGL clip).
  // Applies only with shadows and reflections off, where nothing off screen shows in the image.
  bool cull = true;
  // Draw the opaque planes (the floor) after everything else, so that the floor pixels the table and the arm
  // hide are never shaded: the same pixels and depth, bit for bit, a frame in about two thirds of the time on
  // llvmpipe. Same conditions as `cull`.
  bool planes_last = true;
};

class Renderer {
 public:
  // Throws a2w::Error naming the EGL/GL step that failed (no EGL display, no context, ...) or when the
  // model's offscreen buffer is smaller than width x height; a2w::InvalidArgument for a non-positive size
  // or a model without cameras. Construction costs ~30 ms on llvmpipe, the first render another ~35 ms
  // (shader compilation).
  Renderer(const mjModel* model, RendererOptions options);
  ~Renderer();
  Renderer(const Renderer&) = delete;
  Renderer& operator=(const Renderer&) = delete;

  int width() const;
  int height() const;
  const GlInfo& info() const;

  // Renders fixed camera `camera_id` (an mjModel camera index) of state `data` into `rgb` (H*W*3 bytes)
  // and, when `depth` is not null, `depth` (H*W floats, metres). Calls mj-visualisation only; `data` must
  // be up to date (mj_forward or mj_step already ran). Throws a2w::InvalidArgument for a camera index out of
  // range, a2w::Error when the Renderer's context is still current on another thread (see release()).
  void render(const mjData* data, int camera_id, std::uint8_t* rgb, float* depth = nullptr);

  // Unbinds the Renderer's context from the calling thread so that another thread may render with it next.
  // Needed only when a thread hands a Renderer over while it keeps running: a new Renderer starts unbound,
  // and a thread's binding is dropped when the thread exits.
  void release();
  // Makes the Renderer's GL context current on the calling thread, for code that then draws with MuJoCo's
  // mjr_* functions itself (the raw baseline of `a2w bench env`). Throws like render().
  void make_current();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Renders a small scene `frames` times at width x height and reports the GL info with the mean milliseconds
// per frame (for `a2w doctor`).
struct RenderProbe {
  GlInfo info;
  double ms_per_frame = 0.0;
  int width = 0, height = 0;
};
RenderProbe probe_rendering(int width = 64, int height = 64, int frames = 200);

}  // namespace a2w::tasks
