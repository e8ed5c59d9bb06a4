#include "a2w/env/dtype.h"

#include <array>
#include <string>

#include "a2w/env/error.h"

namespace a2w::env {

namespace {

struct DTypeInfo {
  DType dtype;
  std::size_t itemsize;
  std::string_view name;
  std::string_view numpy;
  std::string_view code;  // numpy's type code without byte order, e.g. "f4"
};

constexpr std::array<DTypeInfo, 6> kInfos{{
    {DType::kBool, 1, "bool", "|b1", "b1"},
    {DType::kUInt8, 1, "uint8", "|u1", "u1"},
    {DType::kInt32, 4, "int32", "<i4", "i4"},
    {DType::kInt64, 8, "int64", "<i8", "i8"},
    {DType::kFloat32, 4, "float32", "<f4", "f4"},
    {DType::kFloat64, 8, "float64", "<f8", "f8"},
}};

const DTypeInfo& info(DType d) {
  const auto i = static_cast<std::size_t>(d);
  if (i >= kInfos.size())
    throw InvalidArgument("DType: expected a known dtype, got code " + std::to_string(i));
  return kInfos[i];
}

}  // namespace

std::size_t itemsize(DType d) {
  return info(d).itemsize;
}
std::string_view dtype_name(DType d) {
  return info(d).name;
}
std::string_view numpy_dtype(DType d) {
  return info(d).numpy;
}

DType parse_dtype(std::string_view s) {
  // numpy spells byte order as '<' (little), '|' (not applicable) or '=' (native, little on every machine we
  // run on); a bare code ("f4") or numpy's "?" for bool are accepted as well.
  std::string_view code = s;
  if (!code.empty() && (code.front() == '<' || code.front() == '|' || code.front() == '='))
    code.remove_prefix(1);
  for (const auto& d : kInfos) {
    if (s == d.name || code == d.code) return d.dtype;
  }
  if (code == "?") return DType::kBool;
  std::string accepted;
  for (const auto& d : kInfos) {
    if (!accepted.empty()) accepted += ", ";
    accepted += std::string(d.name) + " (" + std::string(d.numpy) + ")";
  }
  throw InvalidArgument("dtype: expected one of " + accepted + ", got '" + std::string(s) + "'");
}

}  // namespace a2w::env
