#include "a2w/tasks/diagnostic.h"

namespace a2w::tasks {

std::string SourceLoc::str() const {
  // Appended piece by piece: GCC 12 warns falsely (-Wrestrict) on s += ":" + std::to_string(...).
  std::string s = file.empty() ? "<task>" : file;
  if (line > 0) {
    s.push_back(':');
    s.append(std::to_string(line));
  }
  if (line > 0 && column > 0) {
    s.push_back(':');
    s.append(std::to_string(column));
  }
  return s;
}

std::string Diagnostic::str() const {
  return loc.str() + (severity == Severity::kWarning ? ": warning: " : ": ") + message;
}

std::string join_diagnostics(const std::vector<Diagnostic>& diagnostics) {
  std::string s;
  for (const auto& d : diagnostics) {
    if (!s.empty()) s.push_back('\n');
    s.append(d.str());
  }
  return s;
}

TaskFileError::TaskFileError(std::vector<Diagnostic> diagnostics)
    : InvalidArgument(join_diagnostics(diagnostics)), diagnostics_(std::move(diagnostics)) {}

}  // namespace a2w::tasks
