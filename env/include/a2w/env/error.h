#pragma once
// a2w::Error: the one exception family of a2w. Every message says what was expected and what came, so the
// CLI can print it as it is and exit non-zero (no stack dumps).

#include <stdexcept>
#include <string>

namespace a2w {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

// Bad input from outside: a task file, an action, a CLI argument, a dataset.
class InvalidArgument : public Error {
 public:
  using Error::Error;
};

// A name that does not exist (task id, observation key, camera).
class NotFound : public Error {
 public:
  using Error::Error;
};

}  // namespace a2w
