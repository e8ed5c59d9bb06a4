#pragma once
// Reading task files. A task file is YAML; every error names "file:line:column" and says what was expected
// and what came, e.g.
//
//   lift_cube.yaml:12:5: unknown key 'colour' in object 'cube'; expected one of: name, shape, size, ...
//   lift_cube.yaml:20:10: success: unknown entity 'cub' in lifted(...); known: cube, tcp, gripper, table
//
// Top-level keys (required: name, horizon, objects or fixtures, success, expert):
//   name          identifier [A-Za-z][A-Za-z0-9_]*; the env id is "a2w/<name>-v0" or "user/<name>-v0"
//   description   one line
//   horizon       control steps per episode (20 Hz)
//   instruction   a template or a list of templates; "{obj.color}" is replaced by the colour drawn for
//                 object obj, "{obj.name}" by its name. One template is drawn per episode.
//   objects       list of maps: name, shape (box|cylinder|sphere), size, mass, friction, colors (names from
//                 the palette below, or maps {name, rgba}), x, y (ranges [lo, hi]), yaw (range, rad)
//   fixtures      list of maps: name, type (drawer|button|bin|region|marker), x, y, z (marker), yaw, size,
//                 travel (drawer, button), open (drawer's initial opening range), color (name or [r,g,b,a])
//   min_separation  minimum distance between object centres (and from fixture footprints), metres
//   success       predicate text, see predicate.h, e.g. "held(3, all(inside(cube, bin), not(grasped(cube))))"
//   reward        list of maps {term: reach|distance|lift|joint|grasp|success, weight, object | a, b |
//                 height | joint, from, to}
//   expert        list of waypoints: a name (grasp) or a one-key map {move_above: {target, height, ...}}; see
//                 WaypointDef in task_def.h for the kinds and their keys (target, to, offset, local_offset,
//                 height, tolerance, timeout, speed, gripper, joint_target, require)
//   cameras       map name -> {pos: [x,y,z], lookat: [x,y,z], fovy: deg}; only "agentview" can be moved
//   scene         MJCF text placed inside <worldbody> (static decoration or extra geoms)
//
// Colour palette: red, green, blue, yellow, orange, purple, cyan, white, black, gray, brown, pink.

#include <string>

#include "a2w/tasks/task_def.h"

namespace a2w::tasks {

// Reads and validates a task file; throws InvalidArgument ("file:line:col: ...") or Error (unreadable).
TaskDef load_task_file(const std::string& path);
// The same for text already in memory; `file` is the name used in messages.
TaskDef parse_task(const std::string& yaml_text, const std::string& file);

// The palette colour called `name`; false if there is none.
bool palette_color(const std::string& name, Rgba& out);

}  // namespace a2w::tasks
