#pragma once
// Reading task files. A task file is YAML. Reading does not stop at the first problem: every problem is
// reported with "file:line:column", what was expected and what came (diagnostic.h), e.g.
//
//   lift_cube.yaml:12:5: unknown key 'colour' in object 'cube'; expected one of: name, shape, ... (did you
//                        mean 'color'?)
//   lift_cube.yaml:20:10: success predicate: unknown entity 'cub' in lifted(object, height); known: cube, ...
//
// docs/authoring.md is the tutorial and the reference with examples; this is the summary. Units: metres,
// radians (yaw), kilograms, control steps of 50 ms (20 Hz). A range is [lo, hi] or one number (fixed);
// ranges are drawn uniformly per episode. World frame: origin at the centre of the table top, z up, the
// robot's base at x = -0.5 facing +x; the table top spans x [-0.65, 0.45], y [-0.6, 0.6]; the arm reaches
// x [-0.32, 0.32], y [-0.42, 0.42], z [0.008, 0.55].
//
// Top-level keys (required: name, horizon, success, expert, and at least one of objects, fixtures, include):
//   name          identifier [A-Za-z][A-Za-z0-9_]*; the env id is "a2w/<name>-v0" (built-in) or
//                 "user/<name>-v0" (A2W_TASK_PATH)
//   description   one line (default: none)
//   horizon       control steps per episode, 1..100000
//   instruction   a template or a list of templates; "{obj.color}" is replaced by the colour drawn for
//                 object obj, "{obj.name}" by its name. One template is drawn per episode (default: the
//                 description, else the name)
//   objects       list of free bodies: name; shape box|cylinder|sphere (box); size: box half extents
//                 [x, y, z], cylinder [radius, half height], sphere [radius], each in (0, 0.2] m
//                 ([0.025]*3, [0.025, 0.04], [0.025]); mass kg (0.1); friction (1.0); colors: a list of
//                 palette names, [r, g, b(, a)] lists or {name, rgba} maps, one drawn per episode (or
//                 `color` for one) (red); x, y: ranges of the centre on the table (0); yaw: range (0).
//                 Objects rest on the table at reset, at least min_separation apart.
//   fixtures      list of placed things: name; type drawer|button|bin|region|marker; x, y (0), yaw (0)
//                 ranges; z (markers only: height of the centre, 0.1); size: drawer cabinet half extents
//                 [x, y, z] ([0.12, 0.15, 0.045]), bin inner half extents and wall height ([0.08, 0.08,
//                 0.06]), region half extents [x, y] ([0.06, 0.06]), marker and button [radius] (0.02,
//                 0.025), each in (0, 0.4]; travel: how far a drawer opens (0.2) or a button presses
//                 (0.015), m; open: a drawer's initial opening range within [0, travel] (0); color: palette
//                 name or [r, g, b(, a)]
//   include       list of third-party MJCF models: name (the entity namespace: "<name>" and
//                 "<name>.<element>"); file (path relative to this task file); kind fixture|object
//                 (fixture: welded at a pose drawn per episode, inner joints move; object: one free body
//                 placed like an object); x, y, yaw ranges (0); z: fixture origin height (0), object origin
//                 height (default: resting on the table); radius: footprint kept free of objects, m
//                 (default: from its geoms). See mjcf_include.h for how a model is rewritten.
//   robot         the task's own arm instead of the default one: file (MJCF); base [x, y, z]
//                 ([-0.5, 0, 0]); yaw (0); ee_site (the tool centre point: z along the fingers, fingers
//                 closing along y); arm_joints (1 to 7, base to hand); arm_actuators (default: the position
//                 servo on each arm joint); gripper_actuators (position servos, commanded together);
//                 finger_joints (default: what the gripper actuators drive); gripper_open, gripper_closed
//                 (actuator targets; default: the ends of the first gripper actuator's ctrlrange, top =
//                 open); camera (the wrist camera, "eye_in_hand"); home (one value per arm joint: the reset
//                 posture, tool pointing down). Its elements are entities "robot.<element>".
//   min_separation  minimum distance between object centres (and from fixture footprints), m (0.08)
//   success       predicate text (predicate.h), e.g. "held(3, all(inside(cube, bin), not(grasped(cube))))"
//   reward        list of {term, weight (1.0), ...}: reach {object} 1 - tanh(10 |tcp - object|); distance
//                 {a, b} 1 - tanh(10 |a - b|); lift {object, height} clip(bottom / height, 0, 1); joint
//                 {joint, from, to} progress from `from` to `to` clipped to [0, 1]; grasp {object} 1 while
//                 grasped; success 1 while the predicate holds. Default: [{term: success}]
//   expert        list of waypoints: a name (grasp) or a one-key map {move_above: {target, height, ...}};
//                 kinds move_above, move_to, descend, grasp, release, lift, push, pull, press, wait, with
//                 keys target, to, offset, local_offset, height, tolerance, timeout, speed, gripper,
//                 joint_target, require (WaypointDef in task_def.h)
//   cameras       map name -> {pos: [x,y,z], lookat: [x,y,z], fovy: deg (45)}; only "agentview" can be
//                 placed (default: pos [0.5, 0, 0.5], lookat [-0.1, 0, 0.08], fovy 52)
//   cameras.agentview.jitter  per episode the camera moves by up to this much (m) along each axis, still
//                 looking at its look-at point (0); pos and lookat may be left out to keep the default
//   lighting      {brightness (1.0, in [0, 4]), color (white)}: scales and tints the scene's lights
//   action_noise  std of Gaussian noise added to every executed action on the [-1, 1] scale, drawn from the
//                 episode's seed so that physics and A2World-sim see the same noise (0)
//   scene         MJCF text placed inside <worldbody> (static decoration or extra geoms)
//   perturbations list of named variants for what-if sweeps (`a2w whatif`): {name, description, with},
//                 where `with` is a part of a task file laid over this one: maps merge key by key, lists
//                 of named entries (objects, fixtures, include) entry by entry, an entry with a new name
//                 is added (a distractor), anything else is replaced. E.g.
//                   perturbations:
//                     - {name: cube_far, with: {objects: [{name: cube, x: [0.12, 0.16]}]}}
//                     - {name: dim, with: {lighting: {brightness: 0.4}}}
//                     - {name: shaky_camera, with: {cameras: {agentview: {jitter: 0.03}}}}
//                     - {name: distractor, with: {objects: [{name: can, shape: cylinder, color: white}]}}
//                     - {name: noisy, with: {action_noise: 0.2}}
//                 Each variant is read (and its problems reported) as a task of its own. A seed draws the
//                 same initial state in a variant as in the task, except what the variant changes: an added
//                 object draws from its own stream, after everything else.
//
// Colour palette: red, green, blue, yellow, orange, purple, cyan, white, black, gray, brown, pink.

#include <optional>
#include <string>
#include <vector>

#include "a2w/tasks/diagnostic.h"
#include "a2w/tasks/task_def.h"

namespace a2w::tasks {

// Reads and checks a task file; throws TaskFileError with every error, or Error when unreadable.
TaskDef load_task_file(const std::string& path);
// The same for text already in memory; `file` names it in messages and anchors relative paths.
TaskDef parse_task(const std::string& yaml_text, const std::string& file);
// The same without throwing: appends every error and warning to `diagnostics` and returns the task when
// there was no error.
std::optional<TaskDef> read_task_text(const std::string& yaml_text, const std::string& file,
                                      std::vector<Diagnostic>& diagnostics);

// The variant of `task` that its perturbation `name` declares (same file, same id; `perturbation` set, no
// perturbations of its own). Throws InvalidArgument naming the declared ones when there is no such name.
// a2w::make takes it as the option {"perturbation": name}.
TaskDef perturb_task(const TaskDef& task, const std::string& name);

// The palette colour called `name`; false if there is none.
bool palette_color(const std::string& name, Rgba& out);

}  // namespace a2w::tasks
