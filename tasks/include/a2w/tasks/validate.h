#pragma once
// Validation of task files (`a2w tasks validate FILE...`): every problem a task file has, found before
// anyone runs it, each with file:line:column and what was expected.
//
//   auto r = a2w::tasks::validate_task_file("plate_cube.yaml");
//   for (const auto& d : r.diagnostics) std::cout << d.str() << "\n";
//   if (!r.ok()) return 1;
//
// Stages (a later one runs only when the earlier ones found no error, since it needs their result):
//   1. reading: YAML syntax, schema (unknown or repeated keys, wrong types, missing keys), ranges (empty or
//      off the table), names and references (objects, fixtures, includes and their bodies, joints, sites,
//      cameras of the robot's model), the predicates (operators, arity, argument kinds), every third-party
//      model file (MJCF syntax, cyclic includes, missing assets);
//   2. compiling the scene with MuJoCo (errors at the line of the `scene` fragment or of the model file) and
//      fitting the robot (servos on its joints, two finger joints, its camera);
//   3. running: resetting at a few seeds (objects placed without overlap, nothing falls off the table, the
//      physics settles) and warnings for what runs but is probably not meant: ranges the arm cannot reach,
//      success already true in the initial state, an expert that rarely succeeds (options.expert_episodes).

#include <optional>
#include <string>
#include <vector>

#include "a2w/tasks/diagnostic.h"

namespace a2w::tasks {

struct ValidationOptions {
  int seeds = 3;            // initial states checked (seeds 0..seeds-1); 0 skips stage 3
  int expert_episodes = 0;  // run the scripted expert on this many seeds; warn below 90 % success
};

struct ValidationResult {
  std::string file;
  std::vector<Diagnostic> diagnostics;   // errors and warnings, in the order of the file
  std::optional<double> expert_success;  // when options.expert_episodes > 0 and the task runs
  double make_seconds = 0.0;             // reading + compiling + building one env (what a2w::make costs)

  bool ok() const { return errors() == 0; }
  int errors() const;
  int warnings() const;
};

// Never throws for problems of the file (they become diagnostics); an unreadable file is one diagnostic.
ValidationResult validate_task_file(const std::string& path, const ValidationOptions& options = {});
// The same for text in memory; `file` names it and anchors relative paths.
ValidationResult validate_task_text(const std::string& yaml_text, const std::string& file,
                                    const ValidationOptions& options = {});

}  // namespace a2w::tasks
