#pragma once
// DatasetWriter: writes episodes ("demos") to an HDF5 file in the LIBERO/robomimic layout, the layout
// A2World's LIBERO pipeline and robomimic's loaders read:
//
//   data                            group; attributes:
//     env_args    str   JSON {"env_name": <env id>, "env_kwargs": <env options>}
//     total       int   samples (steps) over all demos
//     task        str   env id
//     instruction str   instruction of the first demo
//     a2w_format  int   1 (DatasetReader refuses newer formats)
//   data/demo_<k>                   one group per episode, k = 0, 1, ... within the file; attributes:
//     num_samples int   T, the number of steps
//     seed        u64   the reset seed (0 when the episode was reset without one, see `seeded`)
//     seeded      int   1 when `seed` is the seed the episode was reset with
//     instruction str
//     success     int   1 when any step succeeded (success_once)
//     terminated  int   how the episode ended
//     truncated   int
//   data/demo_<k>/actions        f32 [T, A]   action t
//   data/demo_<k>/rewards        f32 [T]      reward of action t
//   data/demo_<k>/dones          u8  [T]      1 on the last step
//   data/demo_<k>/success        u8  [T]      task predicate after action t
//   data/demo_<k>/obs/<key>      [T, ...]     observation before action t, dtype kept (uint8 images,
//                                             float32 vectors)
//   data/demo_<k>/state/<key>    [T, ...]     privileged state after action t (step info "state/<key>"),
//                                             the state rewards[t] and success[t] were computed from
//
// uint8 arrays of rank >= 3 (images [T, H, W, C]) are chunked one frame per chunk ([1, H, W, C]) and
// compressed with gzip level 1 + shuffle, so reading a window of frames decompresses only those frames;
// everything else is stored contiguous. bool arrays are stored as h5py's bool enum.
//
// Crash safety: the file is written as "<path>.tmp-<pid>" and renamed to `path` only by close(), after the
// HDF5 file is closed and synced. A process killed while writing leaves earlier closed files intact and
// never a half-written file under a final name (only a temp file, which no reader looks at).
//
//   DatasetWriter w("out/demos_00000.hdf5", {.env_id = "a2w/LiftCube-v0"});
//   w.append(demo);     // demo_0
//   w.close();          // now out/demos_00000.hdf5 exists

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "a2w/env/array.h"
#include "a2w/env/value.h"

namespace a2w::env {

// One finished episode of T >= 1 steps; every array has T as its leading dimension.
struct Demo {
  Array actions;                       // [T, A], any numeric dtype (stored as float32)
  Array rewards;                       // [T], any numeric dtype (stored as float32)
  Array success;                       // [T], bool or numeric; nonzero means success (stored as uint8)
  std::map<std::string, Array> obs;    // key -> [T, ...]: observation before action t
  std::map<std::string, Array> state;  // key (without "state/") -> [T, ...]: privileged state after action t
  std::map<std::string, Array> initial_state;  // key -> [...]: the same at reset (group initial_state)
  std::uint64_t seed = 0;
  bool seeded = false;  // false: reset without a seed, `seed` is meaningless
  std::string instruction;
  bool terminated = false;
  bool truncated = false;

  std::int64_t num_samples() const { return actions.valid() ? actions.dim(0) : 0; }
};

struct DatasetWriterOptions {
  std::string env_id;      // the `task` attribute and env_args.env_name
  Dict env_options;        // env_args.env_kwargs (arrays become nested JSON lists)
  bool overwrite = false;  // replace an existing file at the final path on close()
};

class DatasetWriter {
 public:
  // Creates the temp file next to `path`. Throws InvalidArgument naming `path` when it already exists
  // and `overwrite` is not set, and a2w::Error naming the failing HDF5 call when the file cannot be made.
  explicit DatasetWriter(std::filesystem::path path, DatasetWriterOptions options = {});
  // Closes (finalises) the file like close() if still open, swallowing errors: a writer dropped while an
  // exception unwinds still keeps the demos appended so far. Call close() to see errors.
  ~DatasetWriter();
  DatasetWriter(DatasetWriter&&) noexcept;
  DatasetWriter& operator=(DatasetWriter&&) noexcept;
  DatasetWriter(const DatasetWriter&) = delete;
  DatasetWriter& operator=(const DatasetWriter&) = delete;

  // Writes `demo` as data/demo_<num_demos()> and returns that name. Throws InvalidArgument when the demo
  // is malformed (empty, leading dimensions disagree, a key with '/'); nothing is written then. After an
  // HDF5 failure the partial group is removed, so the file stays consistent.
  std::string append(const Demo& demo);
  // Writes the file-level attributes, closes and syncs the file, and renames it to path(). Throws when
  // the final path appeared meanwhile (without `overwrite`: the temp file is kept and named in the error).
  // A second call does nothing.
  void close();

  bool is_open() const;
  std::int64_t num_demos() const;
  std::int64_t total_samples() const;
  const std::filesystem::path& path() const;       // the final name
  const std::filesystem::path& temp_path() const;  // where the data lives until close()

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace a2w::env
