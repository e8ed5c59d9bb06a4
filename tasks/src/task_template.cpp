#include "a2w/tasks/task_template.h"

#include <cctype>
#include <filesystem>
#include <fstream>
#include <regex>

#include "a2w/env/error.h"

namespace a2w::tasks {
namespace {

// Kept in step with docs/authoring.md (the reference) and task_file.h (the summary); tests check that it
// validates and that its expert succeeds.
constexpr const char* kTemplate = R"yaml(# {{NAME}}: a task for a2w (docs/authoring.md explains every key).
# Check it:    a2w tasks validate {{FILE}}
# Look at it:  a2w tasks preview {{FILE}} --seeds 0,1,2
# Run it:      A2W_TASK_PATH=<this folder> a2w rollout --task user/{{NAME}}-v0 --policy expert --episodes 20
#
# Units: metres, radians, kilograms; one control step is 50 ms (20 Hz). World frame: origin at the centre
# of the table top, z up, the robot's base at x = -0.5 facing +x. The arm reaches x in [-0.32, 0.32] and
# y in [-0.42, 0.42]. A range [lo, hi] is drawn uniformly per episode; one number fixes the value.

name: {{NAME}}                     # the env id is user/{{NAME}}-v0
description: Put the cube on the green square.
horizon: 160                       # control steps per episode (8 s)

# One template is drawn per episode; {cube.color} becomes the colour drawn for the cube.
instruction:
  - put the {cube.color} cube on the green square
  - place the {cube.color} block onto the green area

# Free bodies. shape: box | cylinder | sphere; size: half extents (box), [radius, half height] (cylinder),
# [radius] (sphere).
objects:
  - name: cube
    shape: box
    size: [0.022, 0.022, 0.022]
    mass: 0.1                      # kg (default 0.1)
    friction: 1.0                  # (default 1.0)
    colors: [red, blue, yellow]    # palette names or [r, g, b, a]; one is drawn per episode
    x: [-0.2, 0.0]
    y: [-0.2, 0.2]
    yaw: [-0.78, 0.78]

# Placed things: drawer | button | bin | region | marker. A region is a flat mark on the table.
fixtures:
  - {name: goal, type: region, x: [0.1, 0.2], y: [-0.15, 0.15], size: [0.06, 0.06], color: green}

min_separation: 0.08               # between object centres and fixture footprints (m)

# Third-party MJCF models (paths relative to this file), referred to as <name> and <name>.<element>:
# include:
#   - {name: plate, file: models/plate.xml, kind: fixture, x: [0.1, 0.2], y: [-0.1, 0.1]}
# Another arm instead of the default one:
# robot:
#   file: models/my_arm.xml
#   ee_site: tcp
#   arm_joints: [j1, j2, j3, j4, j5, j6]
#   gripper_actuators: [fingers]
#   home: [0, -0.6, 1.2, -0.6, 0, 0]

# Success: a predicate, true on a step when the task is done; held(k, p): p for k steps in a row.
success: "held(3, all(inside(cube, goal), not(grasped(cube)), not(touching(gripper, cube))))"

# Dense reward: the weighted sum of terms, each in [0, 1].
reward:
  - {term: reach, object: cube, weight: 0.3}
  - {term: grasp, object: cube, weight: 0.3}
  - {term: distance, a: cube, b: goal, weight: 1.0}
  - {term: success, weight: 5.0}

# The scripted expert: waypoints run closed-loop on the simulator's state. `require` restarts the program
# (open, back off, try again) when its predicate stops holding.
expert:
  - move_above: {target: cube, height: 0.1, gripper: -1}
  - descend: {target: cube}
  - grasp
  - lift: {height: 0.15, require: "grasped(cube)"}
  - move_above: {target: goal, height: 0.06, require: "grasped(cube)"}
  - release
  - lift: {height: 0.2}

# The agentview camera can be moved (the eye_in_hand camera rides on the hand):
# cameras:
#   agentview: {pos: [0.5, 0.0, 0.5], lookat: [-0.1, 0.0, 0.08], fovy: 52}

# Extra static MJCF inside <worldbody> (decoration):
# scene: |
#   <geom type="box" pos="0.3 0.3 0.02" size="0.02 0.02 0.02" rgba="0.5 0.5 0.5 1" contype="0" conaffinity="0"/>
)yaml";

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
}

void check_name(const std::string& name) {
  static const std::regex re("[A-Za-z][A-Za-z0-9_]*");
  if (!std::regex_match(name, re))
    throw InvalidArgument("task name: expected an identifier ([A-Za-z][A-Za-z0-9_]*, e.g. PlateCube), got '" +
                          name + "'");
}

}  // namespace

std::string task_file_name(const std::string& name) {
  check_name(name);
  std::string out;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool upper = std::isupper(static_cast<unsigned char>(c));
    if (upper && i > 0 && !std::isupper(static_cast<unsigned char>(name[i - 1])) && name[i - 1] != '_')
      out.push_back('_');
    out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return out + ".yaml";
}

std::string task_template(const std::string& name) {
  check_name(name);
  std::string s = kTemplate;
  replace_all(s, "{{NAME}}", name);
  replace_all(s, "{{FILE}}", task_file_name(name));
  return s;
}

std::string write_task_template(const std::string& name, const std::string& where, bool overwrite) {
  namespace fs = std::filesystem;
  fs::path path(where.empty() ? "." : where);
  const std::string ext = path.extension().string();
  if (ext != ".yaml" && ext != ".yml") path /= task_file_name(name);
  std::error_code ec;
  if (fs::exists(path, ec) && !overwrite)
    throw InvalidArgument("tasks new: '" + path.string() + "' exists; expected a new file (or --overwrite)");
  if (path.has_parent_path()) fs::create_directories(path.parent_path(), ec);
  std::ofstream out(path, std::ios::binary);
  if (!out) throw Error("tasks new: could not write '" + path.string() + "'");
  out << task_template(name);
  return path.string();
}

}  // namespace a2w::tasks
