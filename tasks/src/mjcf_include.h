#pragma once
// Third-party MJCF models in a task's scene (internal to a2w::tasks; task_file.h documents the keys).
//
// A model file is rewritten so that it can live inside the scene a2w generates, next to the table, the
// default arm and other included models:
//   - <include file> elements are expanded (paths relative to the including file; cycles are errors);
//   - every name (bodies, joints, geoms, sites, cameras, actuators, tendons, assets, default classes) is
//     prefixed "<include name>/", and every reference to a name the file defines follows;
//   - angles become radians and euler angles quaternions, honouring the file's own <compiler angle> and
//     eulerseq (the scene compiles in radians); asset file paths become absolute, honouring meshdir,
//     texturedir and assetdir;
//   - the file's root default class becomes the class "<name>/main", applied to its bodies (childclass) and
//     to its actuators, tendons, equalities and contact pairs, so its defaults do not leak into the scene;
//   - colliding geoms get the collision bits of their role (scene.h): fixture 8/6, object 4/15, robot 2/13;
//     geoms with contype = conaffinity = 0 stay visual;
//   - <option>, <size>, <visual>, <statistic>, <keyframe>, <custom> are left out (the scene's apply), with a
//     warning.
// Problems name the model file's line; a problem without a place there names the task file's include.

#include <string>
#include <vector>

#include "a2w/tasks/diagnostic.h"
#include "a2w/tasks/task_def.h"

namespace a2w::tasks {

// Reads and rewrites the model at `path` (already resolved) for an include called `name` of `kind`.
// Appends problems to `out`; returns false when there was an error (`model` is then incomplete).
bool read_included_model(const std::string& path, const std::string& name, IncludeDef::Kind kind,
                         const SourceLoc& where, IncludedModel& model, std::vector<Diagnostic>& out);

}  // namespace a2w::tasks
