#include "egl_context.h"

#include <EGL/eglext.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <mutex>
#include <string>
#include <vector>

#include "a2w/env/error.h"

namespace a2w::tasks::egl {
namespace {

std::string error_name(EGLint code) {
  switch (code) {
    case EGL_SUCCESS:
      return "EGL_SUCCESS";
    case EGL_NOT_INITIALIZED:
      return "EGL_NOT_INITIALIZED";
    case EGL_BAD_ACCESS:
      return "EGL_BAD_ACCESS";
    case EGL_BAD_ALLOC:
      return "EGL_BAD_ALLOC";
    case EGL_BAD_ATTRIBUTE:
      return "EGL_BAD_ATTRIBUTE";
    case EGL_BAD_CONFIG:
      return "EGL_BAD_CONFIG";
    case EGL_BAD_CONTEXT:
      return "EGL_BAD_CONTEXT";
    case EGL_BAD_CURRENT_SURFACE:
      return "EGL_BAD_CURRENT_SURFACE";
    case EGL_BAD_DISPLAY:
      return "EGL_BAD_DISPLAY";
    case EGL_BAD_MATCH:
      return "EGL_BAD_MATCH";
    case EGL_BAD_NATIVE_PIXMAP:
      return "EGL_BAD_NATIVE_PIXMAP";
    case EGL_BAD_NATIVE_WINDOW:
      return "EGL_BAD_NATIVE_WINDOW";
    case EGL_BAD_PARAMETER:
      return "EGL_BAD_PARAMETER";
    case EGL_BAD_SURFACE:
      return "EGL_BAD_SURFACE";
    case EGL_CONTEXT_LOST:
      return "EGL_CONTEXT_LOST";
    default: {
      char hex[16];
      std::snprintf(hex, sizeof hex, "0x%04X", static_cast<unsigned>(code));
      return hex;
    }
  }
}

std::string last_error() {
  return error_name(eglGetError());
}

bool has_extension(const char* list, const char* name) {
  if (list == nullptr) return false;
  const std::size_t n = std::strlen(name);
  for (const char* p = list; (p = std::strstr(p, name)) != nullptr; p += n) {
    // Whole words only: "EGL_EXT_device_base" must not match "EGL_EXT_device_base_foo".
    const bool starts = p == list || p[-1] == ' ';
    const bool ends = p[n] == '\0' || p[n] == ' ';
    if (starts && ends) return true;
  }
  return false;
}

// eglGetCurrentContext and eglCreateContext act on the thread's bound API, which starts as OpenGL ES.
bool try_bind_gl_api() noexcept {
  return eglQueryAPI() == EGL_OPENGL_API || eglBindAPI(EGL_OPENGL_API) == EGL_TRUE;
}

void bind_gl_api() {
  if (!try_bind_gl_api()) {
    throw Error("EGL: eglBindAPI(EGL_OPENGL_API) failed (" + last_error() +
                "); the EGL implementation has no desktop OpenGL");
  }
}

// One EGL display of the process. llvmpipe rasterises the frames of every context of one display under one
// lock, so render threads that share a display take turns at it: on 2 cores that cost 2-view VectorEnv
// stepping about a tenth of its 2-thread speed-up. Mesa's surfaceless platform hands out a second display
// for an empty attribute list (the first is asked for with none), with a rasteriser of its own; render
// threads spread over the displays there are. Where the driver gives the same handle back, or on NVIDIA's
// device platform, every thread shares one display as before.
struct DisplaySlot {
  EGLDisplay display = EGL_NO_DISPLAY;
  EGLConfig config = nullptr;
  bool initialised = false;
  bool owned = false;   // a2w called eglInitialize, so a2w may call eglTerminate
  bool failed = false;  // an extra display that would not initialise: its threads use display 0
  int users = 0;        // live Contexts
  int threads = 0;      // live threads that create their Contexts on it
};

// The process-wide displays. Leaked on purpose: Mesa terminates its displays from its own atexit handler,
// and a static destructor running after that would call into a torn-down EGL.
struct SharedDisplay {
  std::once_flag chosen;
  std::exception_ptr choose_error;  // set when no display could be opened; rethrown to every caller
  std::string platform;
  std::mutex mutex;                // guards the slots
  std::vector<DisplaySlot> slots;  // [0] the chosen display, then any extra ones
};

SharedDisplay& shared() {
  static SharedDisplay* s = new SharedDisplay;
  return *s;
}

// Initialises `d.display` unless someone else in the process already did, and picks a config usable for a
// desktop-GL context. On failure returns a reason and leaves the display as it found it.
std::string initialise(DisplaySlot& d) {
  // eglQueryString fails with EGL_NOT_INITIALIZED on a display nobody initialised: that tells us whether
  // the display (the same handle for everyone asking for this platform) belongs to us.
  const bool already = eglQueryString(d.display, EGL_VERSION) != nullptr;
  if (!already) {
    EGLint major = 0, minor = 0;
    if (eglInitialize(d.display, &major, &minor) != EGL_TRUE) {
      return "eglInitialize failed (" + last_error() + ")";
    }
  }
  // PBUFFER_BIT rather than no surface bit: Mesa's surfaceless and NVIDIA's device platforms expose their
  // offscreen-capable configs that way. Colour/depth sizes barely matter (MuJoCo draws into its own FBO).
  // clang-format off
  const EGLint attribs[] = {
      EGL_SURFACE_TYPE, EGL_PBUFFER_BIT,
      EGL_RENDERABLE_TYPE, EGL_OPENGL_BIT,
      EGL_RED_SIZE, 8, EGL_GREEN_SIZE, 8, EGL_BLUE_SIZE, 8, EGL_ALPHA_SIZE, 8,
      EGL_DEPTH_SIZE, 24,
      EGL_NONE};
  // clang-format on
  EGLConfig config = nullptr;
  EGLint count = 0;
  if (eglChooseConfig(d.display, attribs, &config, 1, &count) != EGL_TRUE || count < 1) {
    const std::string why = "no EGL config with PBUFFER_BIT and OPENGL_BIT (" + last_error() + ")";
    if (!already) eglTerminate(d.display);
    return why;
  }
  d.config = config;
  d.initialised = true;
  d.owned = !already;
  return {};
}

struct DeviceList {
  std::vector<EGLDeviceEXT> devices;
  PFNEGLQUERYDEVICESTRINGEXTPROC query_string = nullptr;

  bool is_nvidia(std::size_t i) const {
    // NVIDIA's devices advertise EGL_NV_device_cuda; Mesa's are EGL_MESA_device_software / DRM nodes.
    if (query_string == nullptr) return false;
    const char* ext = query_string(devices[i], EGL_EXTENSIONS);
    return ext != nullptr && std::strstr(ext, "EGL_NV") != nullptr;
  }
};

DeviceList enumerate_devices(const char* client_ext) {
  DeviceList list;
  if (!has_extension(client_ext, "EGL_EXT_device_enumeration") &&
      !has_extension(client_ext, "EGL_EXT_device_base")) {
    return list;
  }
  auto query_devices = reinterpret_cast<PFNEGLQUERYDEVICESEXTPROC>(eglGetProcAddress("eglQueryDevicesEXT"));
  list.query_string =
      reinterpret_cast<PFNEGLQUERYDEVICESTRINGEXTPROC>(eglGetProcAddress("eglQueryDeviceStringEXT"));
  EGLint n = 0;
  if (query_devices == nullptr || query_devices(0, nullptr, &n) != EGL_TRUE || n <= 0) return list;
  list.devices.resize(static_cast<std::size_t>(n));
  if (query_devices(n, list.devices.data(), &n) != EGL_TRUE) n = 0;
  list.devices.resize(static_cast<std::size_t>(n));
  return list;
}

void choose_display(SharedDisplay& s) {
  // llvmpipe starts its own rasteriser threads; for our small frames one thread is faster (0.53 vs 0.68 ms
  // at 64x64 here) and VectorEnv already runs one render thread per core, so extra threads only
  // oversubscribe the cores. A user's own setting wins.
  setenv("LP_NUM_THREADS", "0", /*overwrite=*/0);
  const char* forced_env = std::getenv("A2W_EGL_PLATFORM");
  const std::string forced = forced_env ? forced_env : "";
  if (!forced.empty() && forced != "surfaceless" && forced != "device") {
    throw InvalidArgument("A2W_EGL_PLATFORM: expected \"surfaceless\" or \"device\", got \"" + forced + "\"");
  }
  const char* device_env = std::getenv("A2W_EGL_DEVICE");
  int device_index = -1;
  if (device_env != nullptr && *device_env != '\0') {
    char* end = nullptr;
    const long v = std::strtol(device_env, &end, 10);
    if (*end != '\0' || v < 0) {
      throw InvalidArgument(std::string("A2W_EGL_DEVICE: expected a device index (0, 1, ...), got \"") +
                            device_env + "\"");
    }
    device_index = static_cast<int>(v);
  }

  // Client extensions (EGL 1.5 / EGL_EXT_client_extensions): what platforms this libEGL can open.
  const char* client_ext = eglQueryString(EGL_NO_DISPLAY, EGL_EXTENSIONS);
  auto get_platform_display =
      reinterpret_cast<PFNEGLGETPLATFORMDISPLAYEXTPROC>(eglGetProcAddress("eglGetPlatformDisplayEXT"));
  if (get_platform_display == nullptr || !has_extension(client_ext, "EGL_EXT_platform_base")) {
    throw Error(
        "EGL: eglGetPlatformDisplayEXT is missing (no EGL_EXT_platform_base); a2w needs a libEGL "
        "with headless platforms (libglvnd + Mesa >= 17, or the NVIDIA driver)");
  }

  auto try_surfaceless = [&]() -> std::string {
    if (!has_extension(client_ext, "EGL_MESA_platform_surfaceless")) {
      return "surfaceless: libEGL has no EGL_MESA_platform_surfaceless";
    }
    DisplaySlot first{.display =
                          get_platform_display(EGL_PLATFORM_SURFACELESS_MESA, EGL_DEFAULT_DISPLAY, nullptr)};
    if (first.display == EGL_NO_DISPLAY)
      return "surfaceless: eglGetPlatformDisplayEXT failed (" + last_error() + ")";
    std::string why = initialise(first);
    if (!why.empty()) return "surfaceless: " + why;
    s.platform = "surfaceless";
    s.slots = {first};
    // The second display (see DisplaySlot), initialised when a second render thread first needs it.
    const EGLint none[] = {EGL_NONE};
    const EGLDisplay extra = get_platform_display(EGL_PLATFORM_SURFACELESS_MESA, EGL_DEFAULT_DISPLAY, none);
    if (extra != EGL_NO_DISPLAY && extra != first.display) s.slots.push_back(DisplaySlot{.display = extra});
    return {};
  };
  auto try_device = [&](const DeviceList& list, int index) -> std::string {
    const std::string name = "device " + std::to_string(index);
    if (!has_extension(client_ext, "EGL_EXT_platform_device"))
      return name + ": libEGL has no EGL_EXT_platform_device";
    if (index < 0 || static_cast<std::size_t>(index) >= list.devices.size()) {
      return name + ": no such EGL device (" + std::to_string(list.devices.size()) + " enumerated)";
    }
    DisplaySlot only{.display = get_platform_display(EGL_PLATFORM_DEVICE_EXT,
                                                     list.devices[static_cast<std::size_t>(index)], nullptr)};
    if (only.display == EGL_NO_DISPLAY)
      return name + ": eglGetPlatformDisplayEXT failed (" + last_error() + ")";
    std::string why = initialise(only);
    if (!why.empty()) return name + ": " + why;
    s.platform = "device";
    s.slots = {only};
    return {};
  };

  const DeviceList list = enumerate_devices(client_ext);
  int nvidia = -1;
  for (std::size_t i = 0; i < list.devices.size() && nvidia < 0; ++i) {
    if (list.is_nvidia(i)) nvidia = static_cast<int>(i);
  }

  std::string why;
  if (forced == "surfaceless") {
    why = try_surfaceless();
  } else if (forced == "device" || device_index >= 0) {
    // An explicit device request gets no silent fallback: the user asked for that hardware.
    why = try_device(list, device_index >= 0 ? device_index : (nvidia >= 0 ? nvidia : 0));
  } else {
    if (nvidia >= 0) {
      why = try_device(list, nvidia);
      if (why.empty()) return;
    }
    const std::string surfaceless_why = try_surfaceless();
    why = why.empty() ? surfaceless_why : (surfaceless_why.empty() ? "" : why + "; " + surfaceless_why);
  }
  if (!why.empty()) {
    throw Error("EGL: no headless display (" + why +
                "); A2W_EGL_PLATFORM=surfaceless|device forces a platform, A2W_EGL_DEVICE=<index> a device");
  }
}

// The display slot of the calling thread's Contexts: the one with the fewest live threads when the thread
// created its first Context, kept until the thread exits.
struct ThreadSlot {
  int slot = -1;
  ~ThreadSlot() {
    if (slot < 0) return;
    SharedDisplay& s = shared();
    std::lock_guard lock(s.mutex);
    --s.slots[static_cast<std::size_t>(slot)].threads;
  }
};

int thread_slot(SharedDisplay& s) {  // s.mutex held
  thread_local ThreadSlot mine;
  if (mine.slot < 0) {
    std::size_t best = 0;
    for (std::size_t k = 1; k < s.slots.size(); ++k)
      if (!s.slots[k].failed && s.slots[k].threads < s.slots[best].threads) best = k;
    ++s.slots[best].threads;
    mine.slot = static_cast<int>(best);
  }
  return s.slots[static_cast<std::size_t>(mine.slot)].failed ? 0 : mine.slot;
}

// Opens the displays (once per process), initialises the calling thread's if needed and counts one more
// user of it. Returns its slot.
int acquire(EGLDisplay* display, EGLConfig* config, std::string* platform) {
  SharedDisplay& s = shared();
  std::call_once(s.chosen, [&s] {
    try {
      choose_display(s);
    } catch (...) {
      s.choose_error = std::current_exception();
    }
  });
  if (s.choose_error) std::rethrow_exception(s.choose_error);
  std::lock_guard lock(s.mutex);
  int k = thread_slot(s);
  if (!s.slots[static_cast<std::size_t>(k)].initialised) {
    // First use of an extra display, or re-opening after the last Context terminated it.
    const std::string why = initialise(s.slots[static_cast<std::size_t>(k)]);
    if (!why.empty() && k == 0) throw Error("EGL: re-initialising the " + s.platform + " display: " + why);
    if (!why.empty()) {
      s.slots[static_cast<std::size_t>(k)].failed = true;  // only a speed-up lost: share display 0
      k = 0;
      if (!s.slots[0].initialised) {
        const std::string why0 = initialise(s.slots[0]);
        if (!why0.empty()) throw Error("EGL: re-initialising the " + s.platform + " display: " + why0);
      }
    }
  }
  DisplaySlot& d = s.slots[static_cast<std::size_t>(k)];
  ++d.users;
  *display = d.display;
  *config = d.config;
  *platform = s.platform;
  return k;
}

void release_display(int slot) {
  SharedDisplay& s = shared();
  std::lock_guard lock(s.mutex);
  DisplaySlot& d = s.slots[static_cast<std::size_t>(slot)];
  if (--d.users == 0 && d.owned) {
    // No a2w context is left; terminating frees the driver's per-display memory and threads. Never done for
    // a display someone else initialised: the handle is shared by everyone in the process.
    eglTerminate(d.display);
    d.initialised = false;
  }
}

// Releases the thread's EGL state when a thread that rendered exits, so a Renderer it used can be taken by
// another thread without an explicit release() and the driver frees the thread's resources.
struct ThreadExitRelease {
  ~ThreadExitRelease() { eglReleaseThread(); }
};

}  // namespace

Context::Context() {
  EGLConfig config = nullptr;
  slot_ = acquire(&display_, &config, &platform_);
  try {
    bind_gl_api();
    // No version or profile attributes: that gives the highest compatibility-profile context, which MuJoCo
    // 2.2.2's fixed-function renderer needs (a core profile would lack glBegin, display lists, ...).
    const EGLint attribs[] = {EGL_NONE};
    context_ = eglCreateContext(display_, config, EGL_NO_CONTEXT, attribs);
    if (context_ == EGL_NO_CONTEXT) {
      throw Error("EGL: eglCreateContext (desktop OpenGL, compatibility profile) failed on the " + platform_ +
                  " display (" + last_error() + ")");
    }
  } catch (...) {
    release_display(slot_);
    throw;
  }
}

Context::~Context() {
  if (is_current()) eglMakeCurrent(display_, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
  // If the context is still current on another thread, EGL defers the destruction until it is released.
  eglDestroyContext(display_, context_);
  release_display(slot_);
}

void Context::make_current() {
  bind_gl_api();
  if (eglGetCurrentContext() == context_) return;
  thread_local ThreadExitRelease exit_release;
  (void)exit_release;
  if (eglMakeCurrent(display_, EGL_NO_SURFACE, EGL_NO_SURFACE, context_) != EGL_TRUE) {
    const EGLint code = eglGetError();
    if (code == EGL_BAD_ACCESS) {
      throw Error(
          "EGL: the Renderer's context is current on another thread; a Renderer is used by one thread "
          "at a time: call Renderer::release() on the thread that used it last (or let it exit)");
    }
    throw Error("EGL: eglMakeCurrent failed (" + error_name(code) + ")");
  }
}

void Context::release() {
  if (is_current()) eglMakeCurrent(display_, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
}

bool Context::is_current() const {
  // Cannot fail once a GL context exists; no-throw because destructors call this.
  try_bind_gl_api();
  return eglGetCurrentContext() == context_;
}

const std::string& Context::platform() const {
  return platform_;
}

void* Context::proc(const char* name) {
  return reinterpret_cast<void*>(eglGetProcAddress(name));
}

BindingGuard::BindingGuard() {
  api_ = eglQueryAPI();
  try_bind_gl_api();  // no-throw: ~Renderer uses a guard too
  display_ = eglGetCurrentDisplay();
  draw_ = eglGetCurrentSurface(EGL_DRAW);
  read_ = eglGetCurrentSurface(EGL_READ);
  context_ = eglGetCurrentContext();
}

BindingGuard::~BindingGuard() {
  if (context_ != EGL_NO_CONTEXT) {
    if (eglGetCurrentContext() != context_) eglMakeCurrent(display_, draw_, read_, context_);
  } else if (eglGetCurrentContext() != EGL_NO_CONTEXT) {
    eglMakeCurrent(eglGetCurrentDisplay(), EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
  }
  if (api_ != EGL_OPENGL_API) eglBindAPI(api_);
}

}  // namespace a2w::tasks::egl
