#pragma once
// Element types of an Array, with the numpy dtype strings the wire protocol and HDF5 files use.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace a2w::env {

enum class DType : std::uint8_t { kBool, kUInt8, kInt32, kInt64, kFloat32, kFloat64 };

// Bytes per element.
std::size_t itemsize(DType d);
// Short name: "bool", "uint8", "int32", "int64", "float32", "float64".
std::string_view dtype_name(DType d);
// numpy dtype string: "|b1", "|u1", "<i4", "<i8", "<f4", "<f8".
std::string_view numpy_dtype(DType d);
// Parses either spelling; throws InvalidArgument naming the accepted ones.
DType parse_dtype(std::string_view s);

template <typename T>
constexpr DType dtype_of();
template <>
constexpr DType dtype_of<bool>() {
  return DType::kBool;
}
template <>
constexpr DType dtype_of<std::uint8_t>() {
  return DType::kUInt8;
}
template <>
constexpr DType dtype_of<std::int32_t>() {
  return DType::kInt32;
}
template <>
constexpr DType dtype_of<std::int64_t>() {
  return DType::kInt64;
}
template <>
constexpr DType dtype_of<float>() {
  return DType::kFloat32;
}
template <>
constexpr DType dtype_of<double>() {
  return DType::kFloat64;
}

}  // namespace a2w::env
