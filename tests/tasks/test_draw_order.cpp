// Tests of drawing the opaque planes last (tasks/src/draw_order.h): which geoms move and that everything
// else keeps its order. That the images stay the same bit for bit on every built-in task is checked with
// culling in test_frustum_cull.cpp.

#include <doctest/doctest.h>
#include <mujoco/mujoco.h>

#include <string>
#include <vector>

#include "../../tasks/src/draw_order.h"
#include "mujoco_test_util.h"

TEST_CASE("draw order: opaque planes seen from the front go last, the rest keeps its order") {
  // Camera 1 m above the floor looking down. "wall" is a plane whose front faces away from the camera (seen
  // from behind, MuJoCo draws it see-through), "glass" a see-through plane, "mirror" a reflective one: none
  // of them moves.
  auto model = a2w::tasks::test::load_xml(R"(<mujoco>
  <asset>
    <material name="shiny" reflectance="0.5"/>
  </asset>
  <worldbody>
    <geom name="floor" type="plane" size="3 3 0.1"/>
    <geom name="box" type="box" pos="0 0 0.1" size="0.1 0.1 0.1"/>
    <geom name="wall" type="plane" pos="0 0 0.5" zaxis="0 0 -1" size="1 1 0.1"/>
    <geom name="ball" type="sphere" pos="0.1 0 0.3" size="0.05"/>
    <geom name="glass" type="plane" pos="0 0 0.2" size="1 1 0.1" rgba="1 1 1 0.5"/>
    <geom name="mirror" type="plane" pos="0 0 0.01" size="1 1 0.1" material="shiny"/>
    <geom name="shelf" type="plane" pos="0 0 0.05" size="1 1 0.1"/>
    <geom name="cap" type="capsule" pos="0 0.1 0.1" size="0.02 0.05"/>
    <camera name="top" pos="0 0 1" fovy="45"/>
  </worldbody>
</mujoco>)");
  a2w::tasks::test::DataPtr data(mj_makeData(model.get()));
  mj_forward(model.get(), data.get());
  a2w::tasks::test::CameraScene view(model.get(), data.get(), 0);
  mjvScene& scene = view.scene;
  REQUIRE(scene.ngeom == 8);
  CHECK(a2w::tasks::draw_opaque_planes_last(&scene) == 2);
  CHECK(view.geom_names() ==
        std::vector<std::string>{"box", "wall", "ball", "glass", "mirror", "cap", "floor", "shelf"});
  // Once last, the planes stay where they are.
  CHECK(a2w::tasks::draw_opaque_planes_last(&scene) == 2);
  CHECK(view.geom_names() ==
        std::vector<std::string>{"box", "wall", "ball", "glass", "mirror", "cap", "floor", "shelf"});

  // Without planes nothing moves.
  scene.ngeom = 2;
  scene.geoms[0] = scene.geoms[2];  // ball
  scene.geoms[1] = scene.geoms[5];  // cap
  CHECK(a2w::tasks::draw_opaque_planes_last(&scene) == 0);
  CHECK(view.geom_names() == std::vector<std::string>{"ball", "cap"});
}
