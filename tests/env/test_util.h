#pragma once
// Helpers shared by the env-module tests.

#include <string>

namespace a2w::test {

// The message of the exception of type E that `f` throws, or "" when it throws none.
template <typename E, typename F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  return "";
}

inline bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace a2w::test
