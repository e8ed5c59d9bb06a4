#include "a2w/tasks/tasks.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <sstream>

#include "a2w/env/error.h"
#include "a2w/env/registry.h"
#include "a2w/tasks/predicate.h"
#include "a2w/tasks/scene.h"
#include "a2w/tasks/task_env.h"
#include "a2w/tasks/task_file.h"

namespace a2w::tasks {
namespace fs = std::filesystem;

namespace {

std::vector<std::string> yaml_files(const fs::path& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const auto ext = e.path().extension().string();
    if (e.is_regular_file() && (ext == ".yaml" || ext == ".yml")) out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Name of the task in a file: its `name`, or the file's stem when the file does not parse.
struct Scanned {
  std::string name;
  std::string description;
  bool ok = false;
  std::string error;
};

Scanned scan(const std::string& path) {
  Scanned s;
  try {
    const TaskDef def = load_task_file(path);
    s.name = def.name;
    s.description = def.description;
    s.ok = true;
  } catch (const Error& e) {
    s.name = fs::path(path).stem().string();
    s.error = e.what();
    const std::string first = s.error.substr(0, s.error.find('\n'));
    s.description = "(invalid task file: " + first + (first.size() < s.error.size() ? " ..." : "") + ")";
  }
  return s;
}

std::mutex g_mutex;
std::map<std::string, std::string, std::less<>> g_paths;  // id -> file

std::string fmt(double v) {
  std::ostringstream o;
  o << v;
  return o.str();
}

}  // namespace

std::string builtin_task_dir() {
  std::error_code ec;
  if (fs::is_directory(A2W_BUILTIN_TASK_DIR, ec)) return A2W_BUILTIN_TASK_DIR;
  return A2W_INSTALLED_TASK_DIR;
}

std::vector<std::string> task_search_path() {
  std::vector<std::string> dirs{builtin_task_dir()};
  if (const char* env = std::getenv("A2W_TASK_PATH")) {
    std::string s = env;
    std::size_t start = 0;
    while (start <= s.size()) {
      const std::size_t end = std::min(s.find(':', start), s.size());
      if (end > start) dirs.push_back(s.substr(start, end - start));
      start = end + 1;
    }
  }
  return dirs;
}

TaskCatalog find_task_files() {
  TaskCatalog out;
  const std::vector<std::string> dirs = task_search_path();
  for (std::size_t d = 0; d < dirs.size(); ++d) {
    const bool builtin = d == 0;
    std::error_code ec;
    if (!builtin && !fs::is_directory(dirs[d], ec)) {
      out.warnings.push_back("A2W_TASK_PATH: '" + dirs[d] +
                             "' is not a folder; expected folders of task files");
      continue;
    }
    for (const auto& p : yaml_files(dirs[d])) {
      const Scanned s = scan(p);
      TaskFile f;
      f.id = (builtin ? "a2w/" : "user/") + s.name + "-v0";
      f.path = p;
      f.folder = dirs[d];
      f.description = s.description;
      f.error = s.error;
      out.files.push_back(std::move(f));
    }
  }
  // Two files with one id: neither wins silently; both carry the clash and making the id explains it.
  for (auto& f : out.files) {
    for (const auto& g : out.files)
      if (&f != &g && f.id == g.id) f.clash += (f.clash.empty() ? "" : ", ") + g.path;
    if (!f.clash.empty())
      f.clash = "task id '" + f.id + "' is defined by more than one file: " + f.path + ", " + f.clash +
                "; expected one file per id: give one of them another `name`";
  }
  return out;
}

env::EnvPtr make_task_env(const std::string& path, const env::Dict& options, const std::string& id) {
  const TaskEnvOptions o = TaskEnvOptions::from_dict(options);
  const TaskDef def = load_task_file(path);
  return std::make_unique<TaskEnv>(def, o, id);
}

void register_tasks() {
  const TaskCatalog catalog = find_task_files();
  std::lock_guard<std::mutex> lock(g_mutex);
  for (const auto& f : catalog.files) {
    g_paths[f.id] = f.path;
    EnvRegistration reg;
    reg.id = f.id;
    if (!f.clash.empty()) {
      reg.description = "(clash: " + f.clash + ")";
      reg.factory = [clash = f.clash](const env::Dict&) -> env::EnvPtr { throw InvalidArgument(clash); };
    } else {
      reg.description = f.description;
      reg.factory = [path = f.path, id = f.id](const env::Dict& options) {
        return make_task_env(path, options, id);
      };
    }
    register_env(std::move(reg));
  }
}

TaskInfo describe_task(const TaskDef& def, const std::string& id) {
  TaskInfo info;
  info.id = id;
  info.name = def.name;
  info.description = def.description;
  info.file = def.file;
  info.horizon = def.horizon;
  info.instruction_templates = def.instructions;
  for (const auto& o : def.objects) {
    std::string colors;
    for (const auto& c : o.colors) colors += (colors.empty() ? "" : "|") + c.name;
    const char* shape = o.shape == Shape::kBox ? "box" : o.shape == Shape::kCylinder ? "cylinder" : "sphere";
    const Vec3 h = o.half_extents();
    info.objects.push_back(o.name + ": " + shape + " " + fmt(2 * h[0]) + "x" + fmt(2 * h[1]) + "x" +
                           fmt(2 * h[2]) + " m, " + fmt(o.mass) + " kg, colors " + colors + ", x [" +
                           fmt(o.x[0]) + ", " + fmt(o.x[1]) + "] y [" + fmt(o.y[0]) + ", " + fmt(o.y[1]) +
                           "] yaw [" + fmt(o.yaw[0]) + ", " + fmt(o.yaw[1]) + "]");
  }
  for (const auto& f : def.fixtures) {
    const char* kind = f.kind == FixtureKind::kDrawer   ? "drawer"
                       : f.kind == FixtureKind::kButton ? "button"
                       : f.kind == FixtureKind::kBin    ? "bin"
                       : f.kind == FixtureKind::kRegion ? "region"
                                                        : "marker";
    info.fixtures.push_back(f.name + ": " + kind + " at x [" + fmt(f.x[0]) + ", " + fmt(f.x[1]) + "] y [" +
                            fmt(f.y[0]) + ", " + fmt(f.y[1]) + "] yaw [" + fmt(f.yaw[0]) + ", " +
                            fmt(f.yaw[1]) + "]");
  }
  for (const auto& i : def.includes) {
    if (i.kind == IncludeDef::Kind::kRobot) continue;
    info.includes.push_back(i.name + ": " + (i.kind == IncludeDef::Kind::kObject ? "object " : "fixture ") +
                            i.file + " at x [" + fmt(i.x[0]) + ", " + fmt(i.x[1]) + "] y [" + fmt(i.y[0]) +
                            ", " + fmt(i.y[1]) + "] yaw [" + fmt(i.yaw[0]) + ", " + fmt(i.yaw[1]) + "]");
  }
  if (def.robot) {
    const RobotDef& r = *def.robot;
    info.robot = def.includes[static_cast<std::size_t>(r.include)].file + ": " +
                 std::to_string(r.arm_joints.size()) + " arm joints, ee_site " + r.ee_site + ", camera " +
                 r.camera;
  } else {
    info.robot = "default arm (7 joints, Panda kinematics)";
  }
  info.success = def.success_text;
  for (const auto& r : def.reward) {
    static const char* names[] = {"reach", "distance", "lift", "joint", "grasp", "success"};
    std::string args = r.a + (r.b.empty() ? "" : ", " + r.b);
    info.reward.push_back(std::string(names[static_cast<int>(r.kind)]) + "(" + args + ") x " + fmt(r.weight));
  }
  for (const auto& w : def.expert) {
    static const char* names[] = {"move_above", "move_to", "descend", "grasp", "release",
                                  "lift",       "push",    "pull",    "press", "wait"};
    std::string s = names[static_cast<int>(w.kind)];
    if (!w.target.empty()) s += " " + w.target;
    if (!w.to.empty()) s += " -> " + w.to;
    info.expert.push_back(s);
  }
  info.cameras = {"agentview", "eye_in_hand"};
  for (const auto& p : def.perturbations)
    info.perturbations.push_back(p.description.empty() ? p.name : p.name + ": " + p.description);
  return info;
}

namespace {

std::string path_of(std::string_view id) {
  std::lock_guard<std::mutex> lock(g_mutex);
  auto it = g_paths.find(id);
  if (it == g_paths.end()) {
    std::string known;
    for (const auto& [k, v] : g_paths) known += (known.empty() ? "" : ", ") + k;
    throw NotFound("unknown task id '" + std::string(id) +
                   "'; known: " + (known.empty() ? "(none: call register_tasks() first)" : known));
  }
  return it->second;
}

}  // namespace

std::string task_mjcf(std::string_view id) {
  return build_scene_mjcf(load_task_file(path_of(id)), {});
}

TaskInfo describe_task(std::string_view id) {
  std::string path;
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    auto it = g_paths.find(id);
    if (it == g_paths.end()) {
      std::string known;
      for (const auto& [k, v] : g_paths) known += (known.empty() ? "" : ", ") + k;
      throw NotFound("describe_task: unknown task id '" + std::string(id) +
                     "'; known: " + (known.empty() ? "(none: call register_tasks() first)" : known));
    }
    path = it->second;
  }
  return describe_task(load_task_file(path), std::string(id));
}

}  // namespace a2w::tasks
