#pragma once
// MuJoCo models for the tasks test suite: owning pointers and MJCF compiled from a string in memory.

#include <doctest/doctest.h>
#include <mujoco/mujoco.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace a2w::tasks::test {

struct ModelDeleter {
  void operator()(mjModel* m) const { mj_deleteModel(m); }
};
struct DataDeleter {
  void operator()(mjData* d) const { mj_deleteData(d); }
};
using ModelPtr = std::unique_ptr<mjModel, ModelDeleter>;
using DataPtr = std::unique_ptr<mjData, DataDeleter>;

// Compiles `xml` through MuJoCo's virtual file system; the test fails (REQUIRE) with MuJoCo's message when it
// does not compile. Pass valid models: MuJoCo 2.2.2's default error handler would wait on stdin otherwise.
inline ModelPtr load_xml(const std::string& xml) {
  auto vfs = std::make_unique<mjVFS>();  // about 2 MB in 2.2.2: never on the stack
  mj_defaultVFS(vfs.get());
  REQUIRE(mj_makeEmptyFileVFS(vfs.get(), "test.xml", static_cast<int>(xml.size())) == 0);
  std::memcpy(vfs->filedata[mj_findFileVFS(vfs.get(), "test.xml")], xml.data(), xml.size());
  char error[1000] = "";
  ModelPtr model(mj_loadXML("test.xml", vfs.get(), error, sizeof error));
  mj_deleteVFS(vfs.get());
  INFO(error);
  REQUIRE(model != nullptr);
  return model;
}

// The scene MuJoCo builds to draw fixed camera `camera` of a model in a state (default options, every
// category), for tests of what a2w does to a scene before drawing it. update() builds it again.
class CameraScene {
 public:
  CameraScene(const mjModel* model, mjData* data, int camera) : model_(model), data_(data) {
    mjv_defaultScene(&scene);
    mjv_makeScene(model, &scene, 100);
    mjv_defaultOption(&option_);
    mjv_defaultCamera(&camera_);
    camera_.type = mjCAMERA_FIXED;
    camera_.fixedcamid = camera;
    update();
  }
  ~CameraScene() { mjv_freeScene(&scene); }
  CameraScene(const CameraScene&) = delete;
  CameraScene& operator=(const CameraScene&) = delete;

  void update() { mjv_updateScene(model_, data_, &option_, nullptr, &camera_, mjCAT_ALL, &scene); }
  // The model names of the scene's geoms, in drawing order.
  std::vector<std::string> geom_names() const {
    std::vector<std::string> out;
    for (int i = 0; i < scene.ngeom; ++i) out.push_back(mj_id2name(model_, mjOBJ_GEOM, scene.geoms[i].objid));
    return out;
  }

  mjvScene scene;

 private:
  const mjModel* model_;
  mjData* data_;
  mjvOption option_;
  mjvCamera camera_;
};

}  // namespace a2w::tasks::test
