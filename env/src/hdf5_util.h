#pragma once
// Internal to env/src: what hdf5_writer.cpp and hdf5_reader.cpp share. RAII handles for hid_t, error
// reporting that turns HDF5's error stack into one a2w::Error message, and the DType <-> HDF5 type mapping.
// Kept out of the public headers so that only these two files see <hdf5.h>.

#include <hdf5.h>

#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "a2w/env/dtype.h"

namespace a2w::env::hdf5 {

// Owns one hid_t and releases it with the matching H5?close. Move-only.
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle() = default;
  Handle(hid_t id, Closer closer) : id_(id), closer_(closer) {}
  Handle(Handle&& o) noexcept : id_(std::exchange(o.id_, H5I_INVALID_HID)), closer_(o.closer_) {}
  Handle& operator=(Handle&& o) noexcept {
    if (this != &o) {
      reset();
      id_ = std::exchange(o.id_, H5I_INVALID_HID);
      closer_ = o.closer_;
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() { reset(); }

  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  // Closes now and returns the close call's status (H5Fclose's must be checked: it flushes the file).
  herr_t close() {
    herr_t status = 0;
    if (id_ >= 0 && closer_ != nullptr) status = closer_(id_);
    id_ = H5I_INVALID_HID;
    return status;
  }
  void reset() { (void)close(); }

 private:
  hid_t id_ = H5I_INVALID_HID;
  Closer closer_ = nullptr;
};

// Held around every sequence of HDF5 calls. Thread-safe builds of HDF5 (Debian's) lock internally, so this
// is empty there; a build without thread safety must never be entered by two threads at once.
#ifdef H5_HAVE_THREADSAFE
struct Lock {};
#else
std::recursive_mutex& global_mutex();
struct Lock {
  std::lock_guard<std::recursive_mutex> guard{global_mutex()};
};
#endif

// Turns off HDF5's automatic printing of its error stack on the calling thread. The error stack is per
// thread in thread-safe builds (Debian's is one), so every entry point calls this before its first H5 call.
void quiet_errors();

// Throws a2w::Error "<call> failed for '<object>' in <file>: <HDF5's innermost message>" and clears the
// stack. `object` is the path inside the file ("" for the file itself).
[[noreturn]] void fail(std::string_view call, std::string_view object, const std::filesystem::path& file);

// Where errors point: the file and the object inside it. Keeps call sites to one line.
struct Where {
  const std::filesystem::path& file;
  std::string object;
};

inline hid_t check(hid_t id, std::string_view call, const Where& where) {
  if (id < 0) fail(call, where.object, where.file);
  return id;
}
inline void check_status(herr_t status, std::string_view call, const Where& where) {
  if (status < 0) fail(call, where.object, where.file);
}
inline Handle own(hid_t id, Handle::Closer closer, std::string_view call, const Where& where) {
  return Handle(check(id, call, where), closer);
}

// The type an array of `dtype` is stored with in a file (little endian; bool as h5py's enum
// {FALSE = 0, TRUE = 1} over int8, so h5py reads it back as numpy bool).
Handle file_type(DType dtype);
// The in-memory type matching the bytes of an Array of `dtype`.
Handle memory_type(DType dtype);
// The DType an HDF5 type reads into without loss, or nullopt when a2w has no such dtype.
std::optional<DType> dtype_of_h5(hid_t type);
// Words for an HDF5 type in error messages: "16-bit signed integer", "variable-length string", ...
std::string describe_h5_type(hid_t type);

}  // namespace a2w::env::hdf5
