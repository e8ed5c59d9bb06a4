#include "hdf5_util.h"

#include <cstdint>
#include <string>

#include "a2w/env/error.h"

namespace a2w::env::hdf5 {

#ifndef H5_HAVE_THREADSAFE
std::recursive_mutex& global_mutex() {
  static std::recursive_mutex m;
  return m;
}
#endif

void quiet_errors() {
  // Once per thread is enough; the flag avoids a library call on every read.
  thread_local bool quiet = false;
  if (!quiet) {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    quiet = true;
  }
}

namespace {

herr_t innermost(unsigned n, const H5E_error2_t* err, void* out) {
  // Walking upward, entry 0 is where the error was first detected: the most specific message (e.g. the
  // errno text of a failed open), which is what a user can act on.
  if (n == 0 && err != nullptr && err->desc != nullptr) *static_cast<std::string*>(out) = err->desc;
  return 0;
}

}  // namespace

void fail(std::string_view call, std::string_view object, const std::filesystem::path& file) {
  std::string detail;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, innermost, &detail);
  H5Eclear2(H5E_DEFAULT);
  std::string msg = std::string(call) + " failed";
  if (!object.empty()) msg += " for '" + std::string(object) + "'";
  msg += " in " + file.string();
  if (!detail.empty()) msg += ": " + detail;
  throw Error(msg);
}

namespace {

Handle bool_enum(hid_t base) {
  Handle t(H5Tenum_create(base), H5Tclose);
  if (!t.valid()) throw Error("H5Tenum_create failed for the bool type");
  const std::int8_t no = 0, yes = 1;
  if (H5Tenum_insert(t.get(), "FALSE", &no) < 0 || H5Tenum_insert(t.get(), "TRUE", &yes) < 0)
    throw Error("H5Tenum_insert failed for the bool type");
  return t;
}

Handle copy(hid_t predefined) {
  // Predefined types are library globals that must never be closed; a copy is ours to close, so every
  // Handle returned here can be treated the same way.
  return Handle(H5Tcopy(predefined), H5Tclose);
}

}  // namespace

Handle file_type(DType dtype) {
  switch (dtype) {
    case DType::kBool:
      return bool_enum(H5T_STD_I8LE);
    case DType::kUInt8:
      return copy(H5T_STD_U8LE);
    case DType::kInt32:
      return copy(H5T_STD_I32LE);
    case DType::kInt64:
      return copy(H5T_STD_I64LE);
    case DType::kFloat32:
      return copy(H5T_IEEE_F32LE);
    case DType::kFloat64:
      return copy(H5T_IEEE_F64LE);
  }
  throw InvalidArgument("hdf5: unknown dtype " + std::to_string(static_cast<int>(dtype)));
}

Handle memory_type(DType dtype) {
  switch (dtype) {
    case DType::kBool:
      static_assert(sizeof(bool) == 1, "bool arrays are stored as one byte per element");
      return bool_enum(H5T_NATIVE_INT8);
    case DType::kUInt8:
      return copy(H5T_NATIVE_UINT8);
    case DType::kInt32:
      return copy(H5T_NATIVE_INT32);
    case DType::kInt64:
      return copy(H5T_NATIVE_INT64);
    case DType::kFloat32:
      return copy(H5T_NATIVE_FLOAT);
    case DType::kFloat64:
      return copy(H5T_NATIVE_DOUBLE);
  }
  throw InvalidArgument("hdf5: unknown dtype " + std::to_string(static_cast<int>(dtype)));
}

namespace {

bool is_bool_enum(hid_t type) {
  Handle base(H5Tget_super(type), H5Tclose);
  if (!base.valid() || H5Tget_class(base.get()) != H5T_INTEGER || H5Tget_size(base.get()) != 1) return false;
  if (H5Tget_nmembers(type) != 2) return false;
  for (unsigned i = 0; i < 2; ++i) {
    char* name = H5Tget_member_name(type, i);
    if (name == nullptr) return false;
    const std::string n = name;
    H5free_memory(name);
    std::int8_t value = -1;
    if (H5Tget_member_value(type, i, &value) < 0) return false;
    if (!((n == "FALSE" && value == 0) || (n == "TRUE" && value == 1))) return false;
  }
  return true;
}

}  // namespace

std::optional<DType> dtype_of_h5(hid_t type) {
  const std::size_t size = H5Tget_size(type);
  switch (H5Tget_class(type)) {
    case H5T_INTEGER: {
      const bool is_signed = H5Tget_sign(type) == H5T_SGN_2;
      if (size == 1 && !is_signed) return DType::kUInt8;
      if (size == 4 && is_signed) return DType::kInt32;
      if (size == 8 && is_signed) return DType::kInt64;
      return std::nullopt;
    }
    case H5T_FLOAT:
      if (size == 4) return DType::kFloat32;
      if (size == 8) return DType::kFloat64;
      return std::nullopt;
    case H5T_ENUM:
      if (is_bool_enum(type)) return DType::kBool;
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

std::string describe_h5_type(hid_t type) {
  const std::string bits = std::to_string(H5Tget_size(type) * 8) + "-bit ";
  switch (H5Tget_class(type)) {
    case H5T_INTEGER:
      return bits + (H5Tget_sign(type) == H5T_SGN_2 ? "signed" : "unsigned") + " integer";
    case H5T_FLOAT:
      return bits + "float";
    case H5T_STRING:
      return H5Tis_variable_str(type) > 0 ? "variable-length string"
                                          : std::to_string(H5Tget_size(type)) + "-byte string";
    case H5T_ENUM:
      return bits + "enum";
    case H5T_COMPOUND:
      return "compound";
    case H5T_ARRAY:
      return "array type";
    case H5T_VLEN:
      return "variable-length sequence";
    case H5T_REFERENCE:
      return "reference";
    case H5T_OPAQUE:
      return "opaque";
    case H5T_BITFIELD:
      return bits + "bitfield";
    default:
      return "unknown type";
  }
}

}  // namespace a2w::env::hdf5
