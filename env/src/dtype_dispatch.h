#pragma once
// Internal: calls a generic lambda with a value of the C++ type of a DType, so one template body serves every
// element type (the switch lives here once instead of in every function that loops over elements).

#include <cstdint>
#include <string>
#include <utility>

#include "a2w/env/dtype.h"
#include "a2w/env/error.h"

namespace a2w::env::detail {

template <typename F>
decltype(auto) dispatch(DType d, F&& f) {
  switch (d) {
    case DType::kBool:
      return std::forward<F>(f)(bool{});
    case DType::kUInt8:
      return std::forward<F>(f)(std::uint8_t{});
    case DType::kInt32:
      return std::forward<F>(f)(std::int32_t{});
    case DType::kInt64:
      return std::forward<F>(f)(std::int64_t{});
    case DType::kFloat32:
      return std::forward<F>(f)(float{});
    case DType::kFloat64:
      return std::forward<F>(f)(double{});
  }
  throw InvalidArgument("DType: expected a known dtype, got code " + std::to_string(static_cast<int>(d)));
}

inline bool is_floating(DType d) {
  return d == DType::kFloat32 || d == DType::kFloat64;
}
inline bool is_integer(DType d) {
  return d == DType::kUInt8 || d == DType::kInt32 || d == DType::kInt64;
}

}  // namespace a2w::env::detail
