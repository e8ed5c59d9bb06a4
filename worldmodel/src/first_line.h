#pragma once
// The first line of a c10::Error's message: the rest is a C++ backtrace a user cannot act on.

#include <string>

namespace a2w::wm {

inline std::string first_line(const std::string& what) {
  return what.substr(0, what.find('\n'));
}

}  // namespace a2w::wm
