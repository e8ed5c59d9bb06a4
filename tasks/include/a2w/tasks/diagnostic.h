#pragma once
// Problems found in a task file, each at the place it was written.
//
// Reading a task file does not stop at the first problem: every problem the reader can find is collected
// as a Diagnostic ("file:line:column: message", the message saying what was expected and what came), and
// one TaskFileError carries them all. Its what() is the list, one problem per line, so a program that only
// prints exceptions shows every problem; a program that wants them one by one reads diagnostics().
//
//   try { auto def = a2w::tasks::load_task_file("plate_cube.yaml"); }
//   catch (const a2w::tasks::TaskFileError& e) {
//     for (const auto& d : e.diagnostics()) std::cerr << d.str() << "\n";
//   }

#include <string>
#include <vector>

#include "a2w/env/error.h"

namespace a2w::tasks {

// Where something was written: "file:line:column" (1-based; 0 = unknown and left out of str()).
struct SourceLoc {
  std::string file;
  int line = 0;
  int column = 0;
  std::string str() const;
};

struct Diagnostic {
  enum class Severity {
    kError,    // the task cannot run (or would not run as written)
    kWarning,  // it runs, but probably not as meant (an unreachable range, success true at reset, ...)
  };
  Severity severity = Severity::kError;
  SourceLoc loc;
  std::string message;  // what was expected and what came

  // "file:line:column: message" (warnings: "file:line:column: warning: message").
  std::string str() const;
  bool is_error() const { return severity == Severity::kError; }
};

// Every problem of one task file. what(): the diagnostics' str(), one per line.
class TaskFileError : public InvalidArgument {
 public:
  explicit TaskFileError(std::vector<Diagnostic> diagnostics);
  const std::vector<Diagnostic>& diagnostics() const { return diagnostics_; }

 private:
  std::vector<Diagnostic> diagnostics_;
};

// Joins diagnostics one per line (what TaskFileError::what() shows).
std::string join_diagnostics(const std::vector<Diagnostic>& diagnostics);

}  // namespace a2w::tasks
