#include "a2w/tasks/renderer.h"

#include <GL/gl.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "a2w/env/error.h"
#include "draw_order.h"
#include "egl_context.h"
#include "frustum_cull.h"

namespace a2w::tasks {
namespace {

std::string size_text(int w, int h) {
  return std::to_string(w) + "x" + std::to_string(h);
}

// Reads the GL strings through eglGetProcAddress so that a2w links no libGL/libOpenGL of its own.
GlInfo query_gl_info(const std::string& platform) {
  using GetString = const GLubyte* (*)(GLenum);
  auto get_string = reinterpret_cast<GetString>(egl::Context::proc("glGetString"));
  if (get_string == nullptr) throw Error("EGL: eglGetProcAddress(\"glGetString\") returned null");
  auto text = [&](GLenum name) {
    const GLubyte* s = get_string(name);
    return s ? std::string(reinterpret_cast<const char*>(s)) : std::string();
  };
  GlInfo info;
  info.platform = platform;
  info.vendor = text(GL_VENDOR);
  info.renderer = text(GL_RENDERER);
  info.version = text(GL_VERSION);
  for (const char* software : {"llvmpipe", "softpipe", "swrast"}) {
    if (info.renderer.find(software) != std::string::npos) info.software = true;
  }
  return info;
}

// MuJoCo 2.2.2 reports a GL it cannot use through mju_error, whose default handler waits on stdin: check
// the version ourselves first (its renderer needs OpenGL 1.5 plus framebuffer objects).
void check_gl_version(const GlInfo& info) {
  int major = 0, minor = 0;
  if (std::sscanf(info.version.c_str(), "%d.%d", &major, &minor) != 2 || major * 10 + minor < 15) {
    throw Error("Renderer: MuJoCo needs desktop OpenGL >= 1.5 (compatibility profile), got GL_VERSION \"" +
                info.version + "\" from " + info.renderer);
  }
}

// MuJoCo's first mjr_makeContext loads its GL function table; two envs built in parallel threads must not
// race on it.
std::mutex& make_context_mutex() {
  static std::mutex m;
  return m;
}

struct ModelDeleter {
  void operator()(mjModel* m) const { mj_deleteModel(m); }
};
struct DataDeleter {
  void operator()(mjData* d) const { mj_deleteData(d); }
};

// Compiles MJCF held in memory through MuJoCo's virtual file system (no temporary file to clean up).
std::unique_ptr<mjModel, ModelDeleter> load_xml_string(const std::string& xml, const char* name) {
  auto vfs = std::make_unique<mjVFS>();  // about 2 MB in 2.2.2: never on the stack
  mj_defaultVFS(vfs.get());
  if (mj_makeEmptyFileVFS(vfs.get(), name, static_cast<int>(xml.size())) != 0) {
    throw Error(std::string("MuJoCo VFS: could not add ") + name);
  }
  const int index = mj_findFileVFS(vfs.get(), name);
  std::memcpy(vfs->filedata[index], xml.data(), xml.size());
  char error[1000] = "";
  mjModel* model = mj_loadXML(name, vfs.get(), error, sizeof error);
  mj_deleteVFS(vfs.get());
  if (model == nullptr) throw Error(std::string("MuJoCo: ") + name + " failed to compile: " + error);
  return std::unique_ptr<mjModel, ModelDeleter>(model);
}

}  // namespace

struct Renderer::Impl {
  const mjModel* model;
  RendererOptions options;
  egl::Context context;
  GlInfo info;
  double znear = 0.0, zfar = 0.0;  // metres, for linearising depth
  mjvOption option;
  mjvCamera camera;
  mjvPerturb perturb;
  mjvScene scene;
  mjrContext con;
  bool scene_made = false;
  bool con_made = false;

  Impl(const mjModel* m, RendererOptions o) : model(m), options(o) {
    mjv_defaultOption(&option);
    mjv_defaultCamera(&camera);
    mjv_defaultPerturb(&perturb);
    mjv_defaultScene(&scene);
    mjr_defaultContext(&con);
  }

  ~Impl() {
    if (!scene_made && !con_made) return;
    egl::BindingGuard guard;
    try {
      context.make_current();
    } catch (const Error&) {
      // Still current on another thread: the GL objects go with the context when EGL finally destroys it.
      if (scene_made) mjv_freeScene(&scene);
      return;
    }
    if (con_made) mjr_freeContext(&con);
    if (scene_made) mjv_freeScene(&scene);
  }
};

Renderer::Renderer(const mjModel* model, RendererOptions options) {
  if (model == nullptr) throw InvalidArgument("Renderer: model is null");
  if (options.width <= 0 || options.height <= 0) {
    throw InvalidArgument("Renderer: width and height must be positive, got " +
                          size_text(options.width, options.height));
  }
  // Models are const here: the scene builder sizes the offscreen buffer to the largest camera.
  const int off_w = model->vis.global.offwidth, off_h = model->vis.global.offheight;
  if (off_w < options.width || off_h < options.height) {
    throw Error("Renderer: requested " + size_text(options.width, options.height) +
                " images but the model's offscreen buffer is " + size_text(off_w, off_h) +
                "; set <visual><global offwidth=\"" + std::to_string(std::max(off_w, options.width)) +
                "\" offheight=\"" + std::to_string(std::max(off_h, options.height)) + "\"/></visual>");
  }
  if (model->ncam == 0) throw InvalidArgument("Renderer: the model has no camera");

  impl_ = std::make_unique<Impl>(model, options);
  Impl& im = *impl_;
  im.znear = model->vis.map.znear * model->stat.extent;
  im.zfar = model->vis.map.zfar * model->stat.extent;
  // Sites are markers for control and predicates (end-effector frame, regions), not scene objects: a
  // camera observation shows geoms only.
  for (int g = 0; g < mjNGROUP; ++g) im.option.sitegroup[g] = 0;
  im.camera.type = mjCAMERA_FIXED;
  im.camera.fixedcamid = 0;

  // Leave the thread's EGL binding as we found it: a new Renderer starts unbound, free to move to the
  // worker thread that will use it.
  egl::BindingGuard guard;
  im.context.make_current();
  im.info = query_gl_info(im.context.platform());
  im.info.display = im.context.display_index();
  check_gl_version(im.info);

  // Room for every model geom plus MuJoCo's decorations; when full, 2.2.2 drops geoms with a warning.
  mjv_makeScene(model, &im.scene, model->ngeom + 1000);
  im.scene_made = true;
  im.scene.flags[mjRND_SHADOW] = options.shadows ? 1 : 0;
  im.scene.flags[mjRND_REFLECTION] = options.reflections ? 1 : 0;
  // A skybox costs a full-screen textured pass on llvmpipe and tabletop cameras rarely see the sky.
  im.scene.flags[mjRND_SKYBOX] = 0;

  {
    std::lock_guard lock(make_context_mutex());
    mjr_makeContext(model, &im.con, mjFONTSCALE_150);
  }
  im.con_made = true;
  mjr_setBuffer(mjFB_OFFSCREEN, &im.con);
  if (im.con.currentBuffer != mjFB_OFFSCREEN || im.con.offFBO == 0) {
    throw Error("Renderer: MuJoCo could not create its offscreen framebuffer (" + size_text(off_w, off_h) +
                ") on " + im.info.renderer);
  }
}

Renderer::~Renderer() = default;

int Renderer::width() const {
  return impl_->options.width;
}
int Renderer::height() const {
  return impl_->options.height;
}
const GlInfo& Renderer::info() const {
  return impl_->info;
}

void Renderer::release() {
  impl_->context.release();
}

void Renderer::make_current() {
  impl_->context.make_current();
}

void Renderer::render(const mjData* data, int camera_id, std::uint8_t* rgb, float* depth) {
  Impl& im = *impl_;
  if (data == nullptr || rgb == nullptr)
    throw InvalidArgument("Renderer::render: data and rgb must not be null");
  if (camera_id < 0 || camera_id >= im.model->ncam) {
    throw InvalidArgument("Renderer::render: camera id " + std::to_string(camera_id) +
                          " is out of range (the model has " + std::to_string(im.model->ncam) + " cameras)");
  }
  im.context.make_current();
  im.camera.fixedcamid = camera_id;
  // mjv_updateScene takes a mutable mjData only for decorations that need scratch memory (contact forces,
  // perturbations), all off here; the state itself is only read.
  mjv_updateScene(im.model, const_cast<mjData*>(data), &im.option, &im.perturb, &im.camera, mjCAT_ALL,
                  &im.scene);
  mjr_setBuffer(mjFB_OFFSCREEN, &im.con);
  const int w = im.options.width, h = im.options.height;
  // Both leave the image as it is only when nothing off screen shows in it and no pass depends on the order.
  const bool plain = !im.options.shadows && !im.options.reflections && !im.scene.enabletransform;
  if (plain && im.options.cull) cull_geoms_outside_view(im.model, &im.scene, static_cast<double>(w) / h);
  if (plain && im.options.planes_last) draw_opaque_planes_last(&im.scene);
  const mjrRect viewport{0, 0, w, h};
  mjr_render(viewport, &im.scene, &im.con);
  mjr_readPixels(rgb, depth, viewport, &im.con);

  // OpenGL returns the bottom row first; a2w images have row 0 at the top.
  const std::size_t row = static_cast<std::size_t>(w) * 3;
  for (int y = 0; y < h / 2; ++y) {
    std::swap_ranges(rgb + y * row, rgb + (y + 1) * row, rgb + (h - 1 - y) * row);
  }
  if (depth != nullptr) {
    // Window depth d in [0, 1] of a perspective projection to metres along the camera axis.
    const double n = im.znear, ratio = 1.0 - im.znear / im.zfar;
    const std::size_t count = static_cast<std::size_t>(w) * static_cast<std::size_t>(h);
    for (std::size_t i = 0; i < count; ++i) depth[i] = static_cast<float>(n / (1.0 - depth[i] * ratio));
    const std::size_t drow = static_cast<std::size_t>(w);
    for (int y = 0; y < h / 2; ++y) {
      std::swap_ranges(depth + y * drow, depth + (y + 1) * drow, depth + (h - 1 - y) * drow);
    }
  }
}

RenderProbe probe_rendering(int width, int height, int frames) {
  if (width <= 0 || height <= 0 || frames <= 0) {
    throw InvalidArgument("probe_rendering: width, height and frames must be positive, got " +
                          size_text(width, height) + " and " + std::to_string(frames));
  }
  // A tabletop-like scene: floor, a few boxes, one light, one fixed camera looking down at them.
  const std::string xml = R"(<mujoco model="a2w_render_probe">
  <visual>
    <global offwidth=")" + std::to_string(width) +
                          R"(" offheight=")" + std::to_string(height) + R"("/>
  </visual>
  <worldbody>
    <light pos="0 0 3" dir="0 0 -1" directional="true"/>
    <geom type="plane" size="2 2 0.1" rgba="0.8 0.8 0.8 1"/>
    <geom type="box" pos="0 0 0.1" size="0.1 0.1 0.1" rgba="0.9 0.2 0.2 1"/>
    <geom type="box" pos="0.3 0.2 0.05" size="0.05 0.05 0.05" rgba="0.2 0.9 0.2 1"/>
    <geom type="box" pos="-0.25 -0.2 0.08" size="0.08 0.04 0.08" euler="0 0 30" rgba="0.2 0.2 0.9 1"/>
    <geom type="capsule" fromto="0.2 -0.3 0.05 0.4 -0.1 0.05" size="0.03" rgba="0.9 0.9 0.2 1"/>
    <camera name="probe" pos="1.2 -1.2 1.0" xyaxes="1 1 0 -0.4 0.4 0.8"/>
  </worldbody>
</mujoco>
)";
  auto model = load_xml_string(xml, "a2w_render_probe.xml");
  std::unique_ptr<mjData, DataDeleter> data(mj_makeData(model.get()));
  mj_forward(model.get(), data.get());

  RendererOptions options;
  options.width = width;
  options.height = height;
  Renderer renderer(model.get(), options);
  std::vector<std::uint8_t> rgb(static_cast<std::size_t>(width) * static_cast<std::size_t>(height) * 3);
  // Warm-up: the first frames compile shaders and upload the model's meshes and textures.
  for (int i = 0; i < 3; ++i) renderer.render(data.get(), 0, rgb.data());
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < frames; ++i) renderer.render(data.get(), 0, rgb.data());
  const std::chrono::duration<double, std::milli> elapsed = std::chrono::steady_clock::now() - start;
  renderer.release();

  RenderProbe probe;
  probe.info = renderer.info();
  probe.ms_per_frame = elapsed.count() / frames;
  probe.width = width;
  probe.height = height;
  return probe;
}

}  // namespace a2w::tasks
