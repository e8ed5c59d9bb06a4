#pragma once
// Whole-file writes that never leave a half-written file under the final name: the bytes go to
// "<path>.tmp-<pid>", are flushed, and the temp file is renamed over `path` (atomic on POSIX file systems).
// A process killed before the rename leaves the previous file, if any, intact.

#include <filesystem>
#include <string_view>

namespace a2w::env {

// Throws a2w::Error naming the path when it cannot be written (the temp file is removed).
void write_file_atomic(const std::filesystem::path& path, std::string_view bytes);

}  // namespace a2w::env
