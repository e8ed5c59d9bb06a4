#pragma once
// MuJoCo models for the tasks test suite: owning pointers and MJCF compiled from a string in memory.

#include <doctest/doctest.h>
#include <mujoco/mujoco.h>

#include <cstring>
#include <memory>
#include <string>

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

}  // namespace a2w::tasks::test
