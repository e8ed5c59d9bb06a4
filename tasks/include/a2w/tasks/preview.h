#pragma once
// Previews of a task (`a2w tasks preview FILE`): the initial state at a few seeds, seen by both cameras,
// as one PNG contact sheet: a row per seed ("seed N" above it), agentview on the left, eye_in_hand on the
// right. Enough to check a new task's framing, colours and randomisation before running anything.
//
//   a2w::tasks::PreviewOptions o;
//   o.seeds = {0, 1, 2};
//   o.out = "plate_cube_preview.png";
//   auto r = a2w::tasks::preview_task("plate_cube.yaml", o);   // r.width x r.height pixels

#include <cstdint>
#include <string>
#include <vector>

#include "a2w/env/array.h"
#include "a2w/tasks/task_def.h"

namespace a2w::tasks {

struct PreviewOptions {
  std::vector<std::uint64_t> seeds{0, 1, 2};
  int image_size = 128;  // each camera image is image_size x image_size
  bool shadows = true;   // as a person would like to see it (training data renders without)
  std::string out;       // PNG path (preview_task requires it)
};

struct PreviewResult {
  std::string out;
  int width = 0, height = 0;
};

// The sheet as uint8 [H, W, 3]. Throws what making the task throws (TaskFileError for a bad file).
env::Array contact_sheet(const TaskDef& task, const PreviewOptions& options);
// Reads the task file, renders the sheet and writes it to options.out.
PreviewResult preview_task(const std::string& path, const PreviewOptions& options);

}  // namespace a2w::tasks
