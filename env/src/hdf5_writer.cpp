#include "a2w/env/hdf5_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <iostream>
#include <system_error>
#include <vector>

#include "a2w/env/error.h"
#include "a2w/env/json.h"
#include "hdf5_util.h"

namespace a2w::env {

// -------------------------------------------------------------------------------------------- writer

namespace {

using hdf5::Handle;
using hdf5::Where;

void write_attr_string(hid_t obj, const char* name, const std::string& value, const Where& where) {
  // A scalar variable-length UTF-8 string: what h5py writes for `attrs[name] = "text"`, and what it
  // reads back as str (fixed-length strings come back as bytes).
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  hdf5::check_status(H5Tset_size(type.get(), H5T_VARIABLE), "H5Tset_size", where);
  hdf5::check_status(H5Tset_cset(type.get(), H5T_CSET_UTF8), "H5Tset_cset", where);
  Handle space = hdf5::own(H5Screate(H5S_SCALAR), H5Sclose, "H5Screate", where);
  const Where at{where.file, where.object + "@" + name};
  Handle attr = hdf5::own(H5Acreate2(obj, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
                          "H5Acreate2", at);
  const char* data = value.c_str();
  hdf5::check_status(H5Awrite(attr.get(), type.get(), &data), "H5Awrite", at);
}

template <typename T>
void write_attr_int(hid_t obj, const char* name, T value, const Where& where) {
  static_assert(std::is_same_v<T, std::int64_t> || std::is_same_v<T, std::uint64_t>);
  const hid_t file_type = std::is_same_v<T, std::int64_t> ? H5T_STD_I64LE : H5T_STD_U64LE;
  const hid_t mem_type = std::is_same_v<T, std::int64_t> ? H5T_NATIVE_INT64 : H5T_NATIVE_UINT64;
  Handle space = hdf5::own(H5Screate(H5S_SCALAR), H5Sclose, "H5Screate", where);
  const Where at{where.file, where.object + "@" + name};
  Handle attr = hdf5::own(H5Acreate2(obj, name, file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
                          "H5Acreate2", at);
  hdf5::check_status(H5Awrite(attr.get(), mem_type, &value), "H5Awrite", at);
}

bool is_image(const Array& a) {
  return a.dtype() == DType::kUInt8 && a.ndim() >= 3;
}

void write_dataset(hid_t parent, const std::string& name, const Array& a, const Where& where) {
  const Where at{where.file, where.object + "/" + name};
  std::vector<hsize_t> dims(a.shape().begin(), a.shape().end());
  Handle space =
      hdf5::own(H5Screate_simple(a.ndim(), dims.data(), nullptr), H5Sclose, "H5Screate_simple", at);
  Handle dcpl = hdf5::own(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, "H5Pcreate", at);
  if (is_image(a)) {
    // One frame per chunk: a training window of frames decompresses only those frames. Level 1 is most of
    // gzip's gain on rendered images at a fraction of the time of the default level.
    std::vector<hsize_t> chunk = dims;
    chunk[0] = 1;
    hdf5::check_status(H5Pset_chunk(dcpl.get(), a.ndim(), chunk.data()), "H5Pset_chunk", at);
    hdf5::check_status(H5Pset_shuffle(dcpl.get()), "H5Pset_shuffle", at);
    hdf5::check_status(H5Pset_deflate(dcpl.get(), 1), "H5Pset_deflate", at);
  }
  Handle ftype = hdf5::file_type(a.dtype());
  Handle mtype = hdf5::memory_type(a.dtype());
  Handle dset = hdf5::own(
      H5Dcreate2(parent, name.c_str(), ftype.get(), space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
      H5Dclose, "H5Dcreate2", at);
  hdf5::check_status(H5Dwrite(dset.get(), mtype.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, a.raw()), "H5Dwrite",
                     at);
}

void check_key(const std::string& what, const std::string& key) {
  if (key.empty() || key == "." || key.find('/') != std::string::npos)
    throw InvalidArgument("DatasetWriter: expected " + what +
                          " keys that are non-empty and without '/', got '" + key + "'");
}

void check_rows(const std::string& what, const Array& a, std::int64_t T, int rank = -1) {
  if (!a.valid())
    throw InvalidArgument("DatasetWriter: expected " + what + " with " + std::to_string(T) +
                          " rows, got no array");
  if (rank >= 0 && a.ndim() != rank)
    throw InvalidArgument("DatasetWriter: expected " + what + " of rank " + std::to_string(rank) +
                          ", got shape " + shape_str(a.shape()));
  if (a.ndim() < 1 || a.dim(0) != T)
    throw InvalidArgument("DatasetWriter: expected " + what + " with leading dimension " + std::to_string(T) +
                          " (the number of actions), got shape " + shape_str(a.shape()));
}

// Checks everything append() relies on before the file is touched, so a bad demo writes nothing.
std::int64_t validate(const Demo& demo) {
  if (!demo.actions.valid() || demo.actions.ndim() != 2)
    throw InvalidArgument("DatasetWriter: expected actions of shape [T, A], got " +
                          (demo.actions.valid() ? shape_str(demo.actions.shape()) : std::string("no array")));
  const std::int64_t T = demo.actions.dim(0);
  if (T < 1) throw InvalidArgument("DatasetWriter: expected a demo with at least one step, got 0");
  check_rows("rewards", demo.rewards, T, 1);
  check_rows("success", demo.success, T, 1);
  for (const auto& [key, a] : demo.obs) {
    check_key("obs", key);
    check_rows("obs '" + key + "'", a, T);
  }
  for (const auto& [key, a] : demo.state) {
    check_key("state", key);
    check_rows("state '" + key + "'", a, T);
  }
  for (const auto& [key, a] : demo.initial_state) {
    check_key("initial_state", key);
    if (!a.valid())
      throw InvalidArgument("DatasetWriter: expected initial_state '" + key + "' as an array, got none");
  }
  return T;
}

std::filesystem::path temp_name(const std::filesystem::path& path) {
  std::filesystem::path t = path;
  t += ".tmp-" + std::to_string(::getpid());
  return t;
}

// Makes the closed file's bytes and its new name durable, so a power loss after close() returns cannot
// leave a final name pointing at an empty file. Best effort: some filesystems refuse fsync on directories.
void sync_file(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    (void)::fsync(fd);
    ::close(fd);
  }
}

}  // namespace

struct DatasetWriter::Impl {
  std::filesystem::path path;
  std::filesystem::path temp;
  DatasetWriterOptions options;
  Handle file;
  Handle data;
  std::int64_t demos = 0;
  std::int64_t total = 0;
  std::string first_instruction;
  bool broken = false;  // an HDF5 failure left the file in a state close() must not publish

  Where where(std::string object = "") const { return Where{path, std::move(object)}; }
};

DatasetWriter::DatasetWriter(std::filesystem::path path, DatasetWriterOptions options)
    : impl_(std::make_unique<Impl>()) {
  [[maybe_unused]] hdf5::Lock lock;
  hdf5::quiet_errors();
  Impl& m = *impl_;
  m.path = std::move(path);
  m.temp = temp_name(m.path);
  m.options = std::move(options);
  if (!m.options.overwrite && std::filesystem::exists(m.path))
    throw InvalidArgument("DatasetWriter: " + m.path.string() +
                          " already exists; expected a new file name (or set overwrite to replace it)");
  // Errors name the final path (what the user asked for); the temp file is an implementation detail.
  Handle fapl = hdf5::own(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, "H5Pcreate", m.where());
  // SEMI: H5Fclose fails while an object is still open instead of silently keeping the file open, so a
  // handle leak shows up as an error rather than as a file that is renamed before it is complete.
  hdf5::check_status(H5Pset_fclose_degree(fapl.get(), H5F_CLOSE_SEMI), "H5Pset_fclose_degree", m.where());
  // TRUNC: a temp file with our pid can only be a leftover of a dead process that had the same pid.
  m.file = Handle(H5Fcreate(m.temp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()), H5Fclose);
  if (!m.file.valid()) hdf5::fail("H5Fcreate", "", m.temp);
  m.data = hdf5::own(H5Gcreate2(m.file.get(), "data", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose,
                     "H5Gcreate2", m.where("data"));
  Dict env_args;
  env_args["env_name"] = m.options.env_id;
  env_args["env_kwargs"] = m.options.env_options;
  write_attr_string(m.data.get(), "env_args", to_json(Value(env_args)), m.where("data"));
  write_attr_string(m.data.get(), "task", m.options.env_id, m.where("data"));
  write_attr_int<std::int64_t>(m.data.get(), "a2w_format", 1, m.where("data"));
}

DatasetWriter::~DatasetWriter() {
  if (!impl_ || !impl_->file.valid()) return;
  try {
    close();
  } catch (const std::exception& e) {
    // A destructor cannot throw; say so rather than lose a dataset without a word.
    std::cerr << "a2w DatasetWriter: closing " << impl_->path.string() << " failed: " << e.what() << "\n";
  }
}

DatasetWriter::DatasetWriter(DatasetWriter&&) noexcept = default;
DatasetWriter& DatasetWriter::operator=(DatasetWriter&& other) noexcept {
  if (this != &other) {
    DatasetWriter old(std::move(*this));  // finalises what this writer held
    impl_ = std::move(other.impl_);
  }
  return *this;
}

std::string DatasetWriter::append(const Demo& demo) {
  if (!impl_ || !impl_->file.valid())
    throw Error("DatasetWriter::append: expected an open writer, got a closed one" +
                (impl_ ? " (" + impl_->path.string() + ")" : std::string()));
  Impl& m = *impl_;
  if (m.broken)
    throw Error("DatasetWriter::append: an earlier HDF5 failure left " + m.path.string() + " unusable");
  [[maybe_unused]] hdf5::Lock lock;
  hdf5::quiet_errors();
  const std::int64_t T = validate(demo);
  const std::string name = "demo_" + std::to_string(m.demos);
  const Where where = m.where("data/" + name);
  {
    Handle group = hdf5::own(H5Gcreate2(m.data.get(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                             H5Gclose, "H5Gcreate2", where);
    try {
      write_dataset(group.get(), "actions", demo.actions.astype(DType::kFloat32), where);
      write_dataset(group.get(), "rewards", demo.rewards.astype(DType::kFloat32), where);
      Array dones(DType::kUInt8, Shape{T});
      dones.data<std::uint8_t>()[T - 1] = 1;
      write_dataset(group.get(), "dones", dones, where);
      Array success(DType::kUInt8, Shape{T});
      bool success_once = false;
      for (std::int64_t t = 0; t < T; ++t) {
        const bool s = demo.success.at(t) != 0;
        success.data<std::uint8_t>()[t] = s ? 1 : 0;
        success_once = success_once || s;
      }
      write_dataset(group.get(), "success", success, where);
      {
        // Always present, even when empty: robomimic-style loaders iterate demo/obs unconditionally.
        const Where at{m.path, where.object + "/obs"};
        Handle obs = hdf5::own(H5Gcreate2(group.get(), "obs", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                               H5Gclose, "H5Gcreate2", at);
        for (const auto& [key, a] : demo.obs) write_dataset(obs.get(), key, a, at);
      }
      if (!demo.state.empty()) {
        const Where at{m.path, where.object + "/state"};
        Handle state = hdf5::own(H5Gcreate2(group.get(), "state", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                                 H5Gclose, "H5Gcreate2", at);
        for (const auto& [key, a] : demo.state) write_dataset(state.get(), key, a, at);
      }
      if (!demo.initial_state.empty()) {
        const Where at{m.path, where.object + "/initial_state"};
        Handle initial =
            hdf5::own(H5Gcreate2(group.get(), "initial_state", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                      H5Gclose, "H5Gcreate2", at);
        for (const auto& [key, a] : demo.initial_state) write_dataset(initial.get(), key, a, at);
      }
      write_attr_int<std::int64_t>(group.get(), "num_samples", T, where);
      write_attr_int<std::uint64_t>(group.get(), "seed", demo.seed, where);
      write_attr_int<std::int64_t>(group.get(), "seeded", demo.seeded ? 1 : 0, where);
      write_attr_string(group.get(), "instruction", demo.instruction, where);
      write_attr_int<std::int64_t>(group.get(), "success", success_once ? 1 : 0, where);
      write_attr_int<std::int64_t>(group.get(), "terminated", demo.terminated ? 1 : 0, where);
      write_attr_int<std::int64_t>(group.get(), "truncated", demo.truncated ? 1 : 0, where);
    } catch (...) {
      // Unlink the half-written demo so the file holds only complete demos; if even that fails the
      // file must not be published.
      group.reset();
      if (H5Ldelete(m.data.get(), name.c_str(), H5P_DEFAULT) < 0) {
        H5Eclear2(H5E_DEFAULT);
        m.broken = true;
      }
      throw;
    }
  }
  if (m.demos == 0) m.first_instruction = demo.instruction;
  ++m.demos;
  m.total += T;
  return name;
}

void DatasetWriter::close() {
  if (!impl_ || !impl_->file.valid()) return;
  Impl& m = *impl_;
  [[maybe_unused]] hdf5::Lock lock;
  hdf5::quiet_errors();
  if (m.broken) {
    m.data.reset();
    m.file.reset();
    std::error_code ec;
    std::filesystem::remove(m.temp, ec);
    throw Error("DatasetWriter::close: an earlier HDF5 failure left " + m.path.string() +
                " incomplete; it was not written");
  }
  try {
    write_attr_int<std::int64_t>(m.data.get(), "total", m.total, m.where("data"));
    write_attr_string(m.data.get(), "instruction", m.first_instruction, m.where("data"));
    m.data.reset();
    if (m.file.close() < 0) hdf5::fail("H5Fclose", "", m.path);
  } catch (...) {
    m.data.reset();
    m.file.reset();
    throw;
  }
  sync_file(m.temp);
  if (!m.options.overwrite && std::filesystem::exists(m.path))
    throw InvalidArgument("DatasetWriter::close: " + m.path.string() +
                          " appeared while writing; expected a new file name (the data is kept in " +
                          m.temp.string() + ")");
  std::error_code ec;
  std::filesystem::rename(m.temp, m.path, ec);
  if (ec)
    throw Error("DatasetWriter::close: renaming " + m.temp.string() + " to " + m.path.string() +
                " failed: " + ec.message());
  sync_file(m.path.has_parent_path() ? m.path.parent_path() : std::filesystem::path("."));
}

bool DatasetWriter::is_open() const {
  return impl_ && impl_->file.valid();
}
std::int64_t DatasetWriter::num_demos() const {
  return impl_ ? impl_->demos : 0;
}
std::int64_t DatasetWriter::total_samples() const {
  return impl_ ? impl_->total : 0;
}

const std::filesystem::path& DatasetWriter::path() const {
  static const std::filesystem::path none;
  return impl_ ? impl_->path : none;
}
const std::filesystem::path& DatasetWriter::temp_path() const {
  static const std::filesystem::path none;
  return impl_ ? impl_->temp : none;
}

}  // namespace a2w::env
