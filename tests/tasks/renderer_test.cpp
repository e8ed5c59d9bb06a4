// Tests of the headless EGL renderer: image geometry and orientation, depth in metres, determinism, several
// Renderers per thread and a Renderer moving between threads.

#include "a2w/tasks/renderer.h"

#include <doctest/doctest.h>
#include <mujoco/mujoco.h>

#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "a2w/env/error.h"
#include "mujoco_test_util.h"

namespace {

using a2w::tasks::Renderer;
using a2w::tasks::RendererOptions;

using a2w::tasks::test::DataPtr;
using a2w::tasks::test::load_xml;
using a2w::tasks::test::ModelPtr;
// Camera "top" sits 1 m above the floor looking straight down (image up = world +y). A red cube's top face
// is 0.65 m from it at the image centre; a green tile lies only in the upper half of the view. No specular
// light, so colours keep their hue.
std::string scene_xml(int off = 128) {
  return R"(<mujoco model="renderer_test">
  <visual>
    <global offwidth=")" +
         std::to_string(off) + R"(" offheight=")" + std::to_string(off) + R"("/>
    <headlight ambient="0.3 0.3 0.3" diffuse="0.5 0.5 0.5" specular="0 0 0"/>
  </visual>
  <worldbody>
    <light pos="0 0 3" dir="0 0 -1" directional="true" specular="0 0 0"/>
    <geom type="plane" size="3 3 0.1" rgba="0.5 0.5 0.5 1"/>
    <geom name="red" type="box" pos="0 0 0.25" size="0.1 0.1 0.1" rgba="1 0 0 1"/>
    <geom name="green" type="box" pos="0 0.3 0.02" size="0.05 0.05 0.02" rgba="0 1 0 1"/>
    <body name="ball" pos="0.3 -0.3 0.1">
      <freejoint/>
      <geom type="sphere" size="0.05" rgba="0 0 1 1"/>
    </body>
    <camera name="top" pos="0 0 1" fovy="45"/>
    <camera name="side" pos="1.5 0 0.3" xyaxes="0 1 0 0 0 1" fovy="45"/>
  </worldbody>
</mujoco>
)";
}

struct Image {
  int w = 0, h = 0;
  std::vector<std::uint8_t> rgb;
  std::vector<float> depth;
  Image(int width, int height)
      : w(width),
        h(height),
        rgb(static_cast<std::size_t>(width * height * 3)),
        depth(static_cast<std::size_t>(width * height)) {}
  const std::uint8_t* at(int row, int col) const {
    return &rgb[static_cast<std::size_t>((row * w + col) * 3)];
  }
  float depth_at(int row, int col) const { return depth[static_cast<std::size_t>(row * w + col)]; }
};

Image render(Renderer& r, const mjData* d, int camera) {
  Image img(r.width(), r.height());
  r.render(d, camera, img.rgb.data(), img.depth.data());
  return img;
}

bool is_red(const std::uint8_t* p) {
  return p[0] > 120 && p[1] < 40 && p[2] < 40;
}
bool is_green(const std::uint8_t* p) {
  return p[1] > 120 && p[0] < 40 && p[2] < 40;
}

RendererOptions size(int w, int h) {
  RendererOptions o;
  o.width = w;
  o.height = h;
  return o;
}

struct Scene {
  ModelPtr model;
  DataPtr data;
  explicit Scene(int off = 128) : model(load_xml(scene_xml(off))), data(mj_makeData(model.get())) {
    mj_forward(model.get(), data.get());
  }
};

}  // namespace

TEST_CASE("renderer: draws the scene at the requested size, row 0 at the top") {
  Scene s;
  Renderer r(s.model.get(), size(96, 64));
  CHECK(r.width() == 96);
  CHECK(r.height() == 64);
  Image img(96, 64);
  r.render(s.data.get(), 0, img.rgb.data());
  CHECK(img.rgb.size() == 96u * 64u * 3u);

  CHECK(is_red(img.at(32, 48)));  // the cube fills the centre
  // The green tile is only in the upper half (world +y is image up): a vertical flip would move it down.
  const int mirrored = img.h - 1 - 6;
  CHECK(is_green(img.at(6, 48)));
  CHECK_FALSE(is_green(img.at(mirrored, 48)));
  int green_top = 0, green_bottom = 0;
  for (int row = 0; row < img.h; ++row) {
    for (int col = 0; col < img.w; ++col)
      (row < img.h / 2 ? green_top : green_bottom) += is_green(img.at(row, col));
  }
  CHECK(green_top > 20);
  CHECK(green_bottom == 0);
}

TEST_CASE("renderer: depth in metres along the camera axis") {
  Scene s;
  Renderer r(s.model.get(), size(64, 64));
  const Image img = render(r, s.data.get(), 0);
  // Camera at z = 1, cube top face at z = 0.35, perpendicular to the axis: 0.65 m wherever it is seen.
  CHECK(std::abs(img.depth_at(32, 32) - 0.65f) < 1e-3f);
  CHECK(std::abs(img.depth_at(28, 36) - 0.65f) < 1e-3f);
  // Floor at the image corner: further than the cube, at least the 1 m straight down.
  CHECK(img.depth_at(63, 0) > 0.99f);
  // The side camera sees the cube's +x face at x = 0.1 from x = 1.5.
  const Image side = render(r, s.data.get(), 1);
  CHECK(std::abs(side.depth_at(32, 32) - 1.4f) < 1e-3f);
}

TEST_CASE("renderer: the same state renders bitwise-identical pixels, a new state does not") {
  Scene s;
  Renderer r(s.model.get(), size(64, 64));
  const Image a = render(r, s.data.get(), 0);
  const Image side = render(r, s.data.get(), 1);  // another camera in between must not leak state
  const Image b = render(r, s.data.get(), 0);
  CHECK(a.rgb == b.rgb);
  CHECK(std::memcmp(a.depth.data(), b.depth.data(), a.depth.size() * sizeof(float)) == 0);
  CHECK(side.rgb != a.rgb);

  s.data->qpos[0] -= 0.2;  // move the ball
  mj_forward(s.model.get(), s.data.get());
  const Image moved = render(r, s.data.get(), 0);
  CHECK(moved.rgb != a.rgb);
}

TEST_CASE("renderer: two Renderers alternate in one thread") {
  Scene s;
  Renderer small(s.model.get(), size(32, 32));
  Renderer large(s.model.get(), size(128, 96));
  const Image s1 = render(small, s.data.get(), 0);
  const Image l1 = render(large, s.data.get(), 1);
  const Image s2 = render(small, s.data.get(), 0);
  const Image l2 = render(large, s.data.get(), 1);
  CHECK(s1.rgb == s2.rgb);
  CHECK(l1.rgb == l2.rgb);
  CHECK(is_red(s1.at(16, 16)));
  CHECK(is_red(l1.at(48, 64)));

  // A Renderer created while another is current leaves that one current and working.
  {
    Renderer third(s.model.get(), size(32, 32));
    const Image t = render(third, s.data.get(), 0);
    CHECK(t.rgb == s1.rgb);
  }
  CHECK(render(large, s.data.get(), 1).rgb == l1.rgb);
}

TEST_CASE("renderer: two render threads get displays of their own and the same pixels") {
  Scene s;
  Renderer here(s.model.get(), size(48, 48));
  const Image mine = render(here, s.data.get(), 0);
  Image theirs(48, 48);
  int their_display = -1;
  std::thread worker([&] {
    Renderer there(s.model.get(), size(48, 48));
    their_display = there.info().display;
    there.render(s.data.get(), 0, theirs.rgb.data(), theirs.depth.data());
  });
  worker.join();
  CHECK(theirs.rgb == mine.rgb);
  CHECK(std::memcmp(theirs.depth.data(), mine.depth.data(), mine.depth.size() * sizeof(float)) == 0);
  // Mesa's surfaceless platform (llvmpipe) gives a second display: the worker, the only live render thread
  // beside this one, takes it. Elsewhere there is one display for everyone.
  if (here.info().platform == "surfaceless") {
    CHECK(their_display != here.info().display);
  } else {
    CHECK(their_display == here.info().display);
  }
}

TEST_CASE("renderer: a Renderer moves between threads") {
  Scene s;
  SUBCASE("created here, used by a worker") {
    Renderer r(s.model.get(), size(48, 48));
    Image here = render(r, s.data.get(), 0);
    r.release();
    Image there(48, 48);
    std::thread worker([&] { r.render(s.data.get(), 0, there.rgb.data(), there.depth.data()); });
    worker.join();  // the worker's binding is dropped when it exits
    CHECK(there.rgb == here.rgb);
    CHECK(render(r, s.data.get(), 0).rgb == here.rgb);  // and back here, without a release by the worker
  }
  SUBCASE("created and used by a worker that lives on, then used here") {
    std::unique_ptr<Renderer> r;
    Image there(48, 48);
    bool done = false, handed_over = false;
    std::mutex m;
    std::condition_variable cv;
    std::thread worker([&] {
      r = std::make_unique<Renderer>(s.model.get(), size(48, 48));
      r->render(s.data.get(), 0, there.rgb.data(), there.depth.data());
      r->release();  // this thread keeps running, so it hands the context over explicitly
      std::unique_lock lock(m);
      handed_over = true;
      cv.notify_all();
      cv.wait(lock, [&] { return done; });
    });
    {
      std::unique_lock lock(m);
      cv.wait(lock, [&] { return handed_over; });
    }
    const Image here = render(*r, s.data.get(), 0);
    CHECK(here.rgb == there.rgb);
    r.reset();
    {
      std::lock_guard lock(m);
      done = true;
    }
    cv.notify_all();
    worker.join();
  }
  SUBCASE("a Renderer still current on a live thread is refused with a clear error") {
    Renderer r(s.model.get(), size(32, 32));
    std::mutex m;
    std::condition_variable cv;
    bool rendered = false, done = false;
    std::thread worker([&] {
      Image img(32, 32);
      r.render(s.data.get(), 0, img.rgb.data());
      std::unique_lock lock(m);
      rendered = true;
      cv.notify_all();
      cv.wait(lock, [&] { return done; });
      r.release();
    });
    {
      std::unique_lock lock(m);
      cv.wait(lock, [&] { return rendered; });
    }
    Image img(32, 32);
    CHECK_THROWS_AS(r.render(s.data.get(), 0, img.rgb.data()), a2w::Error);
    {
      std::lock_guard lock(m);
      done = true;
    }
    cv.notify_all();
    worker.join();
  }
}

TEST_CASE("renderer: GL info is filled") {
  Scene s;
  Renderer r(s.model.get(), size(32, 32));
  const a2w::tasks::GlInfo& info = r.info();
  CHECK_FALSE(info.vendor.empty());
  CHECK_FALSE(info.renderer.empty());
  CHECK_FALSE(info.version.empty());
  CHECK((info.platform == "surfaceless" || info.platform == "device"));
  MESSAGE("EGL platform ", info.platform, "; GL ", info.vendor, " | ", info.renderer, " | ", info.version,
          std::string(info.software ? " (software renderer)" : ""));
}

TEST_CASE("renderer: bad requests give a2w errors") {
  Scene s(32);
  CHECK_THROWS_WITH_AS(Renderer(s.model.get(), size(64, 64)), doctest::Contains("offscreen buffer is 32x32"),
                       a2w::Error);
  CHECK_THROWS_WITH_AS(Renderer(s.model.get(), size(64, 64)), doctest::Contains("64x64"), a2w::Error);
  CHECK_THROWS_AS(Renderer(s.model.get(), size(0, 16)), a2w::InvalidArgument);
  Renderer r(s.model.get(), size(32, 32));
  Image img(32, 32);
  CHECK_THROWS_AS(r.render(s.data.get(), 2, img.rgb.data()), a2w::InvalidArgument);
  CHECK_THROWS_AS(r.render(s.data.get(), -1, img.rgb.data()), a2w::InvalidArgument);
}

TEST_CASE("renderer: probe and speed (printed, never asserted)") {
  for (int side : {64, 128}) {
    const a2w::tasks::RenderProbe p = a2w::tasks::probe_rendering(side, side, 200);
    CHECK(p.width == side);
    CHECK(p.ms_per_frame > 0.0);
    MESSAGE("probe ", side, "x", side, ": ", p.ms_per_frame, " ms/frame on ", p.info.renderer);
  }
  // The test scene with shadows and reflections on, as a worst case for llvmpipe.
  Scene s;
  for (int side : {64, 128}) {
    RendererOptions o = size(side, side);
    o.shadows = true;
    o.reflections = true;
    Renderer r(s.model.get(), o);
    Image img(side, side);
    for (int i = 0; i < 3; ++i) r.render(s.data.get(), 1, img.rgb.data());
    const int frames = 100;
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < frames; ++i) r.render(s.data.get(), 1, img.rgb.data());
    const std::chrono::duration<double, std::milli> ms = std::chrono::steady_clock::now() - start;
    MESSAGE("shadows+reflections ", side, "x", side, ": ", ms.count() / frames, " ms/frame");
  }
}
