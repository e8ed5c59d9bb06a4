#pragma once
// The starting file of a new task (`a2w tasks new NAME`): a complete, commented task that validates and
// whose expert succeeds (pick a cube, place it on a green square), with every optional key shown and
// explained, so that a new task starts from something that runs.
//
//   std::string path = a2w::tasks::write_task_template("PlateCube", "/home/me/my_tasks");
//   // -> /home/me/my_tasks/plate_cube.yaml; then: A2W_TASK_PATH=/home/me/my_tasks, id user/PlateCube-v0

#include <string>

namespace a2w::tasks {

// The file's text for a task called `name` ([A-Za-z][A-Za-z0-9_]*; throws InvalidArgument otherwise).
std::string task_template(const std::string& name);
// "PlateCube" -> "plate_cube.yaml".
std::string task_file_name(const std::string& name);
// Writes the template into `where`: a folder (the file is task_file_name(name) in it) or a path ending in
// .yaml/.yml. Throws InvalidArgument when the file exists and !overwrite; returns the path written.
std::string write_task_template(const std::string& name, const std::string& where, bool overwrite = false);

}  // namespace a2w::tasks
