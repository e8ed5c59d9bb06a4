#pragma once
// DatasetReader: reads a dataset in the LIBERO/robomimic layout (see hdf5_writer.h), written by a2w or by
// LIBERO/robomimic themselves. Read-only: any number of readers, in one process or several, may open the
// same file at once, and one reader may be used from several threads (HDF5 serialises its calls).
//
//   DatasetReader r("out/demos_00000.hdf5");
//   for (const auto& demo : r.demo_names()) {
//     Array frames = r.read(demo, "obs/agentview_rgb");            // u8 [T, H, W, 3]
//     Array window = r.read_rows(demo, "actions", 10, 26);          // f32 [16, A]
//   }
//
// Keys are paths inside a demo group: "actions", "rewards", "dones", "success", "obs/<name>",
// "state/<name>". Every input is checked: a missing demo or key throws NotFound listing what is there; a
// dataset whose type a2w has no dtype for, a known key with the wrong dtype or rank ("actions" must be
// float [T, A]), or rows that disagree with num_samples throw InvalidArgument naming the file and key.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "a2w/env/array.h"
#include "a2w/env/hdf5_writer.h"

namespace a2w::env {

class DatasetReader {
 public:
  // Opens read-only. Throws a2w::Error when the file cannot be opened as HDF5, InvalidArgument when it has
  // no `data` group or an `a2w_format` newer than this build reads.
  explicit DatasetReader(std::filesystem::path path);
  ~DatasetReader();
  DatasetReader(DatasetReader&&) noexcept;
  DatasetReader& operator=(DatasetReader&&) noexcept;
  DatasetReader(const DatasetReader&) = delete;
  DatasetReader& operator=(const DatasetReader&) = delete;

  const std::filesystem::path& path() const;

  // "demo_0", "demo_1", ..., "demo_10": the groups under data/ named demo_<k>, in numeric order of k.
  std::vector<std::string> demo_names() const;
  // T: the demo's `num_samples` attribute, or the rows of its actions when the attribute is absent.
  std::int64_t num_samples(std::string_view demo) const;
  // Every dataset in the demo as a key for read(), sorted: "actions", "dones", "obs/agentview_rgb", ...
  std::vector<std::string> keys(std::string_view demo) const;
  bool has(std::string_view demo, std::string_view key) const;

  // Attributes of the `data` group ("env_args", "task", "instruction", "total", "a2w_format").
  std::string attr_string(std::string_view name) const;
  std::int64_t attr_int(std::string_view name) const;
  // Attributes of data/<demo> ("instruction", "num_samples", "success", "terminated", "truncated", ...).
  std::string attr_string(std::string_view demo, std::string_view name) const;
  std::int64_t attr_int(std::string_view demo, std::string_view name) const;
  // For unsigned 64-bit attributes such as "seed", which attr_int would refuse above 2^63 - 1.
  std::uint64_t attr_uint(std::string_view demo, std::string_view name) const;
  bool has_attr(std::string_view demo, std::string_view name) const;  // demo "" : the data group

  // Dtype and shape of a dataset without reading it.
  DType dtype(std::string_view demo, std::string_view key) const;
  Shape shape(std::string_view demo, std::string_view key) const;
  // The whole dataset [T, ...] with its stored dtype.
  Array read(std::string_view demo, std::string_view key) const;
  // Rows [begin, end) along the leading dimension: a training window reads only its frames.
  // Throws InvalidArgument unless 0 <= begin <= end <= rows.
  Array read_rows(std::string_view demo, std::string_view key, std::int64_t begin, std::int64_t end) const;
  // The whole demo as DatasetWriter::append took it (dones are implied by the length, so not returned).
  Demo read_demo(std::string_view demo) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace a2w::env
