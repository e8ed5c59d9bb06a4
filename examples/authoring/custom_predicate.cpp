// custom_predicate: extending the task language from C++. Registers upright(object, max_tilt), a condition
// the language lacks, then runs a task file that uses it (upright_cube.yaml) by id, the way any program
// makes a task, and its scripted expert.
//
//   build/examples/authoring/custom_predicate [--episodes N] [TASK_FOLDER]
//
// The predicate is known in this process only: validate such task files from here (as below), not with
// the `a2w` tool, which reports `upright` as an unknown operator.

#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>

#include "a2w/env/registry.h"
#include "a2w/tasks/expert.h"
#include "a2w/tasks/mujoco_boundary.h"
#include "a2w/tasks/predicate_registry.h"
#include "a2w/tasks/task_env.h"
#include "a2w/tasks/tasks.h"
#include "a2w/tasks/validate.h"

namespace {

// upright(object, max_tilt): the object's own z axis is within max_tilt radians of world z. A predicate is
// a pure function of one state (the SceneView): no memory between calls; held(k, p) gives "for k steps".
bool upright(const a2w::tasks::SceneView& view, std::span<const a2w::tasks::PredicateArg> args) {
  const std::array<double, 9> R = view.frame(args[0].entity);  // row-major: R[8] = world z of the body's z
  return R[8] >= std::cos(args[1].number);
}

}  // namespace

int main(int argc, char** argv) {
  a2w::tasks::install_mujoco_error_handlers();
  int episodes = 20;
  std::string folder = A2W_EXAMPLE_DIR;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--episodes" && i + 1 < argc)
      episodes = std::atoi(argv[++i]);
    else
      folder = a;
  }
  try {
    // 1. Register before any task file that uses it is read.
    a2w::tasks::register_predicate(
        {.name = "upright",
         .args = {{"object", a2w::tasks::ArgType::kBody}, {"max_tilt", a2w::tasks::ArgType::kNumber}},
         .doc = "the object's z axis is within max_tilt (rad) of world z",
         .evaluate = upright});

    // 2. Validate the file with the predicate known: every problem with file:line:column.
    const std::string file = folder + "/upright_cube.yaml";
    const auto report = a2w::tasks::validate_task_file(file);
    for (const auto& d : report.diagnostics) std::fprintf(stderr, "%s\n", d.str().c_str());
    if (!report.ok()) return 1;
    std::printf("%s: valid (make %.0f ms)\n", file.c_str(), report.make_seconds * 1000);

    // 3. Find it by id through A2W_TASK_PATH, as users' tasks are found, and make it.
    ::setenv("A2W_TASK_PATH", folder.c_str(), 1);
    a2w::tasks::register_tasks();
    auto env = a2w::make("user/UprightPlateCube-v0", {{"render", false}});
    auto& task = dynamic_cast<a2w::tasks::TaskEnv&>(env->unwrapped());

    // 4. Run its scripted expert; success needs the custom predicate to hold.
    int successes = 0;
    for (int ep = 0; ep < episodes; ++ep) {
      env->reset(static_cast<std::uint64_t>(ep));
      a2w::tasks::ExpertState state;
      while (true) {
        const auto a = a2w::tasks::expert_action_clean(task, state);
        const auto r = env->step(a2w::env::Array::from(std::vector<float>(a.begin(), a.end()), {7}));
        if (r.terminated || r.truncated) {
          successes += r.info.at("success").as_bool();
          break;
        }
      }
    }
    std::printf("user/UprightPlateCube-v0: expert success %d/%d (upright(cube, 0.15) is part of success)\n",
                successes, episodes);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "custom_predicate: error: %s\n", e.what());
    return 1;
  }
}
