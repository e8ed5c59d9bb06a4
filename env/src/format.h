#pragma once
// Internal: numbers printed the way Python's repr prints them (shortest text that reads back to the same
// value, "1.0" for integral floats, "inf"/"nan"), so messages and Space::str() look like Gymnasium's.

#include <charconv>
#include <cmath>
#include <string>
#include <system_error>

namespace a2w::env::detail {

template <typename F>
std::string format_float(F v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  if (ec != std::errc()) return std::to_string(v);
  std::string s(buf, end);
  // to_chars prints 1.0 as "1" and 1e20 as "1e+20"; keep the float look of Python's repr.
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}

inline std::string format_double(double v) {
  return format_float(v);
}

}  // namespace a2w::env::detail
