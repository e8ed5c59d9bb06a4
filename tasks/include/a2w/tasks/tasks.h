#pragma once
// The task catalogue: built-in task files (tasks/defs/*.yaml, ids "a2w/<Name>-v0") and users' task files
// found in the colon-separated folders of the environment variable A2W_TASK_PATH (ids "user/<Name>-v0"),
// so that a user's tasks live outside the repository:
//
//   export A2W_TASK_PATH=$HOME/my_tasks:/data/shared_tasks
//   a2w::tasks::register_tasks();
//   auto env = a2w::make("user/PlateCube-v0", {{"image_size", 64}});
//   auto info = a2w::tasks::describe_task("a2w/PickPlaceBin-v0");   // for `a2w tasks show`
//
// Each folder's *.yaml and *.yml files are read (not its subfolders: keep model files there). The id comes
// from the file's `name`, not from the file name. A task file that does not read is still registered
// (under its file name): making it throws the file's problems with file:line, so one broken user file does
// not hide the others. Two files with the same id clash: the id is registered, and making it throws a
// message naming both files (`a2w tasks list` shows it too).

#include <string>
#include <string_view>
#include <vector>

#include "a2w/env/env.h"
#include "a2w/tasks/task_def.h"

namespace a2w::tasks {

// Registers every task file with a2w::register_env. Idempotent (a second call rescans A2W_TASK_PATH).
void register_tasks();

// Folder of the built-in task files (the source tree's tasks/defs, or the installed share/a2w/tasks).
std::string builtin_task_dir();
// The folders searched: the built-in folder, then A2W_TASK_PATH's folders in order.
std::vector<std::string> task_search_path();

struct TaskFile {
  std::string id;  // "a2w/<name>-v0" or "user/<name>-v0" (<name>: the file name when unreadable)
  std::string path;
  std::string folder;       // where it was found
  std::string description;  // or "(invalid task file: <first problem>)"
  std::string error;        // every problem, when the file does not read
  std::string clash;        // when another file has the same id: the message making the id throws
};
struct TaskCatalog {
  std::vector<TaskFile> files;        // built-in first, then A2W_TASK_PATH's folders in order
  std::vector<std::string> warnings;  // A2W_TASK_PATH entries that are not folders
};
// Scans the search path (reads every task file).
TaskCatalog find_task_files();

// Builds the env of a task file directly (what the registered factories call).
env::EnvPtr make_task_env(const std::string& path, const env::Dict& options, const std::string& id);

struct TaskInfo {
  std::string id;
  std::string name;
  std::string description;
  std::string file;
  int horizon = 0;
  std::vector<std::string> instruction_templates;
  std::vector<std::string> objects;        // "cube: box 0.025x0.025x0.025 m, 0.1 kg, colors red|green|blue"
  std::vector<std::string> fixtures;       // "bin: bin at x [0.1, 0.2] y [...]"
  std::vector<std::string> includes;       // "plate: fixture models/plate.xml at x [0.08, 0.2] y [...]"
  std::string robot;                       // "default arm" or "robot/arm6.xml: 6 arm joints, ee_site tcp"
  std::string success;                     // the predicate as text
  std::vector<std::string> reward;         // "reach(cube) x 0.5"
  std::vector<std::string> expert;         // waypoint kinds with targets
  std::vector<std::string> cameras;        // "agentview", "eye_in_hand"
  std::vector<std::string> perturbations;  // "dim_light: the lights at 45 %" (what-if variants)
};

// The MuJoCo scene (MJCF text) a registered task id compiles, for `a2w tasks show ID --mjcf`.
std::string task_mjcf(std::string_view id);

// Describes a registered task id (after register_tasks); throws NotFound for unknown ids.
TaskInfo describe_task(std::string_view id);
// The same for a task already parsed.
TaskInfo describe_task(const TaskDef& def, const std::string& id);

}  // namespace a2w::tasks
