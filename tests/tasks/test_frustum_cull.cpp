// Tests of leaving out geoms outside a camera's view before drawing (tasks/src/frustum_cull.h): which geoms
// go, and that the images stay the same bit for bit on every built-in task, with the opaque planes drawn
// last (tasks/src/draw_order.h) as the Renderer does by default.

#include <doctest/doctest.h>
#include <mujoco/mujoco.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "../../tasks/src/frustum_cull.h"
#include "a2w/env/rng.h"
#include "a2w/tasks/renderer.h"
#include "mujoco_test_util.h"
#include "task_test_util.h"

namespace {

using a2w::tasks::Renderer;
using a2w::tasks::RendererOptions;

struct Shot {
  std::vector<std::uint8_t> rgb;
  std::vector<float> depth;
};

Shot shoot(Renderer& r, const mjData* d, int camera) {
  Shot s{std::vector<std::uint8_t>(static_cast<std::size_t>(r.width() * r.height() * 3)),
         std::vector<float>(static_cast<std::size_t>(r.width() * r.height()))};
  r.render(d, camera, s.rgb.data(), s.depth.data());
  return s;
}

}  // namespace

TEST_CASE("frustum cull: leaves out what is behind, beside or above the view and keeps the rest") {
  // Camera 1 m above the floor looking straight down, fovy 45: at the floor it sees x, y within +-0.41 m.
  auto model = a2w::tasks::test::load_xml(R"(<mujoco>
  <worldbody>
    <geom name="floor" type="plane" size="3 3 0.1"/>
    <geom name="seen" type="box" pos="0 0 0.1" size="0.1 0.1 0.1"/>
    <geom name="edge" type="sphere" pos="0.45 0 0" size="0.06"/>
    <geom name="right" type="sphere" pos="0.6 0 0" size="0.06"/>
    <geom name="left" type="box" pos="-0.6 0 0" size="0.05 0.05 0.05"/>
    <geom name="above" type="sphere" pos="0 0.6 0" size="0.06"/>
    <geom name="behind" type="capsule" pos="0 0 1.2" size="0.05 0.1"/>
    <camera name="top" pos="0 0 1" fovy="45"/>
  </worldbody>
</mujoco>)");
  a2w::tasks::test::DataPtr data(mj_makeData(model.get()));
  mj_forward(model.get(), data.get());
  a2w::tasks::test::CameraScene view(model.get(), data.get(), 0);
  const int before = view.scene.ngeom;
  REQUIRE(before == 7);
  CHECK(a2w::tasks::cull_geoms_outside_view(model.get(), &view.scene, 1.0) == 4);
  CHECK(view.geom_names() == std::vector<std::string>{"floor", "seen", "edge"});

  // A viewport twice as wide as high sees x to +-0.83 m: the side geoms come back, the one above does not.
  view.update();
  CHECK(a2w::tasks::cull_geoms_outside_view(model.get(), &view.scene, 2.0) == 2);
  CHECK(view.scene.ngeom == 5);
}

TEST_CASE("frustum cull and planes last: every built-in task renders the same pixels and depth as without") {
  a2w::env::Rng rng(11);
  for (const char* file : a2w::tasks::test::kBuiltinFiles) {
    CAPTURE(file);
    auto env = a2w::tasks::test::make_env(file);
    env->reset(3);
    const mjModel* m = env->model();
    const int cams[2] = {mj_name2id(m, mjOBJ_CAMERA, "agentview"),
                         mj_name2id(m, mjOBJ_CAMERA, "eye_in_hand")};
    REQUIRE(cams[0] >= 0);
    REQUIRE(cams[1] >= 0);
    for (const auto& [w, h] : {std::pair{64, 64}, std::pair{96, 64}}) {
      RendererOptions on, off;
      on.width = off.width = w;
      on.height = off.height = h;
      off.cull = false;
      off.planes_last = false;
      Renderer culled(m, on), full(m, off);
      for (int step = 0; step < 24; ++step) {
        if (step % 6 == 0)
          for (int cam : cams) {
            CAPTURE(step);
            CAPTURE(cam);
            const Shot a = shoot(culled, env->data(), cam), b = shoot(full, env->data(), cam);
            CHECK(a.rgb == b.rgb);
            CHECK(std::memcmp(a.depth.data(), b.depth.data(), a.depth.size() * sizeof(float)) == 0);
          }
        const auto s = env->step(env->spec().action_space->sample(rng).as_array());
        if (s.terminated || s.truncated) env->reset(4);
      }
    }
  }
}
