#pragma once
// Small pieces every training loop here shares (A2World, BC, A2World-policy): wall time and the lists that
// go into a checkpoint's meta.

#include <chrono>
#include <string>
#include <vector>

#include "a2w/env/value.h"

namespace a2w::wm {

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

inline env::List to_list(const std::vector<std::string>& v) {
  env::List l;
  for (const auto& s : v) l.emplace_back(s);
  return l;
}

}  // namespace a2w::wm
