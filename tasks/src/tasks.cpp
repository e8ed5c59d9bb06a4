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
    s.description = "(invalid task file: " + s.error + ")";
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

std::vector<TaskFile> find_task_files() {
  std::vector<TaskFile> out;
  for (const auto& p : yaml_files(builtin_task_dir())) out.push_back({"a2w/" + scan(p).name + "-v0", p});
  if (const char* env = std::getenv("A2W_TASK_PATH")) {
    std::string s = env;
    std::size_t start = 0;
    while (start <= s.size()) {
      const std::size_t end = std::min(s.find(':', start), s.size());
      const std::string dir = s.substr(start, end - start);
      if (!dir.empty())
        for (const auto& p : yaml_files(dir)) out.push_back({"user/" + scan(p).name + "-v0", p});
      start = end + 1;
    }
  }
  return out;
}

env::EnvPtr make_task_env(const std::string& path, const env::Dict& options, const std::string& id) {
  const TaskEnvOptions o = TaskEnvOptions::from_dict(options);
  const TaskDef def = load_task_file(path);
  return std::make_unique<TaskEnv>(def, o, id);
}

void register_tasks() {
  std::lock_guard<std::mutex> lock(g_mutex);
  auto add = [](const std::string& id, const std::string& path, const std::string& description) {
    g_paths[id] = path;
    EnvRegistration reg;
    reg.id = id;
    reg.description = description;
    reg.factory = [path, id](const env::Dict& options) { return make_task_env(path, options, id); };
    register_env(std::move(reg));
  };
  for (const auto& p : yaml_files(builtin_task_dir())) {
    const Scanned s = scan(p);
    add("a2w/" + s.name + "-v0", p, s.description);
  }
  if (const char* env = std::getenv("A2W_TASK_PATH")) {
    std::string s = env;
    std::size_t start = 0;
    while (start <= s.size()) {
      const std::size_t end = std::min(s.find(':', start), s.size());
      const std::string dir = s.substr(start, end - start);
      if (!dir.empty())
        for (const auto& p : yaml_files(dir)) {
          const Scanned sc = scan(p);
          add("user/" + sc.name + "-v0", p, sc.description);
        }
      start = end + 1;
    }
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
  return info;
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
