#pragma once
// Helpers shared by the tasks test suite.

#include <fstream>
#include <memory>
#include <string>

#include "a2w/env/value.h"
#include "a2w/tasks/task_env.h"
#include "a2w/tasks/task_file.h"

namespace a2w::tasks::test {

inline std::string defs_dir() {
  return std::string(A2W_SOURCE_DIR) + "/tasks/defs";
}

inline const char* const kBuiltinFiles[] = {"reach.yaml",          "push_cube.yaml",   "lift_cube.yaml",
                                            "pick_place_bin.yaml", "stack_cubes.yaml", "open_drawer.yaml",
                                            "close_drawer.yaml",   "press_button.yaml"};

// A TaskEnv of a built-in task file; state-only unless options say otherwise.
inline std::unique_ptr<TaskEnv> make_env(const std::string& file, env::Dict options = {{"render", false}}) {
  return std::make_unique<TaskEnv>(load_task_file(defs_dir() + "/" + file),
                                   TaskEnvOptions::from_dict(options), "test/" + file);
}

inline env::Array action(std::initializer_list<float> v) {
  return env::Array::from(std::vector<float>(v), {7});
}

// Writes an RGB uint8 [H, W, 3] array as a binary PPM (for looking at camera framing by hand).
inline void write_ppm(const env::Array& img, const std::string& path) {
  std::ofstream out(path, std::ios::binary);
  out << "P6\n" << img.dim(1) << " " << img.dim(0) << "\n255\n";
  out.write(static_cast<const char*>(img.raw()), static_cast<std::streamsize>(img.nbytes()));
}

}  // namespace a2w::tasks::test
