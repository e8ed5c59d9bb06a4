#pragma once
// One number in a printf format ("%.2f"), for the text reports of training and evaluation (private to
// worldmodel/src).

#include <cstdio>
#include <string>

namespace a2w::wm {

inline std::string fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

}  // namespace a2w::wm
