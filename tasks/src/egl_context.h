#pragma once
// Internal to a2w::tasks: headless EGL displays shared by the process and one desktop-GL context per
// Renderer. On Mesa's surfaceless platform the render threads spread over two displays, each with its own
// llvmpipe rasteriser (one display's frames are rasterised one at a time). No X server is ever touched: the
// display comes from EGL's device platform (NVIDIA) or Mesa's surfaceless platform (llvmpipe), and contexts
// are made current with no surface (MuJoCo renders into its own framebuffer object).
//
// Environment:
//   A2W_EGL_PLATFORM=surfaceless|device  forces a platform (default: device when an NVIDIA EGL device is
//                                        enumerated, else surfaceless).
//   A2W_EGL_DEVICE=<index>               picks an EGL device by its eglQueryDevicesEXT index (implies the
//                                        device platform).

#include <EGL/egl.h>

#include <string>

namespace a2w::tasks::egl {

// A desktop-GL (compatibility profile) context on the calling thread's display. Creating the first context
// of a display initialises it; destroying the last one terminates it, but only if a2w initialised it
// (another library in the process may share the same EGLDisplay handle).
class Context {
 public:
  // Throws a2w::Error naming the EGL step that failed.
  Context();
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  // Makes this context current on the calling thread with no surface; a no-op when it already is (the
  // common case: one env per worker thread). Throws a2w::Error when EGL refuses, e.g. because the context
  // is still current on another thread.
  void make_current();

  // Unbinds this context from the calling thread if it is current there, so another thread may take it.
  void release();

  bool is_current() const;

  // "surfaceless" or "device".
  const std::string& platform() const;
  // Which of the process's displays (0, or 1 for a second surfaceless one).
  int display_index() const { return slot_; }

  // Resolves a GL or EGL entry point (EGL_KHR_get_all_proc_addresses covers core GL functions), so a2w
  // needs no link-time libGL/libOpenGL: MuJoCo loads its own GL pointers the same way.
  static void* proc(const char* name);

 private:
  EGLDisplay display_ = EGL_NO_DISPLAY;
  EGLContext context_ = EGL_NO_CONTEXT;
  int slot_ = 0;  // which of the process's displays
  std::string platform_;
};

// Saves the calling thread's current EGL binding and restores it when it goes out of scope, so creating or
// destroying a Renderer does not change which context the thread has current. If nothing was current, the
// guard leaves nothing current, which frees a just-created Renderer for use by another thread.
class BindingGuard {
 public:
  BindingGuard();
  ~BindingGuard();
  BindingGuard(const BindingGuard&) = delete;
  BindingGuard& operator=(const BindingGuard&) = delete;

 private:
  EGLenum api_;
  EGLDisplay display_;
  EGLSurface draw_;
  EGLSurface read_;
  EGLContext context_;
};

}  // namespace a2w::tasks::egl
