#pragma once
// Checkpoint: a2w's file format for A2World weights and training state. No pickle (torch::save writes a
// pickled zip, and the project loads no pickle from anywhere): a JSON header that a person can read, raw
// tensor bytes, and a checksum.
//
//   offset 0     4 bytes   magic "A2WM"
//   offset 4     u32 LE    format version (kCheckpointVersion)
//   offset 8     u64 LE    header length H
//   offset 16    H bytes   header, one JSON object:
//                            "config":  WorldModelConfig::to_dict()
//                            "meta":    free-form (training step, seed, data, optimizer/EMA presence, ...)
//                            "tensors": [{"name", "dtype", "shape", "offset", "bytes"}, ...] in name order
//                            "data_bytes": size of the tensor data section
//                zeros up to the next multiple of 64 (the data section starts there)
//   data         each tensor's bytes at data start + offset (offsets are multiples of 64), C order,
//                little-endian
//   last 4       u32 LE    CRC-32 (IEEE 802.3, as zlib's crc32) of every byte before it
//
// Writing goes to "<path>.tmp-<pid>", is flushed to disk, then renamed over `path`: a crash mid-write never
// leaves a half-written file under the final name. Reading refuses, with an InvalidArgument naming the file
// and what was expected: a file without the magic, another format version, a truncated file or one with
// trailing bytes, a checksum mismatch, a malformed header or a tensor entry outside the data section. Loading
// into a module (load_module) refuses a missing tensor, an extra one or a shape mismatch.
//
// Tensor names by convention: "model/<param>", "ema/<param>", "optim/<param>/exp_avg", "norm/state_mean".

#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <string>

#include "a2w/env/value.h"
#include "a2w/wm/config.h"

namespace a2w::wm {

inline constexpr std::uint32_t kCheckpointVersion = 1;

struct Checkpoint {
  WorldModelConfig config;
  env::Dict meta;
  std::map<std::string, torch::Tensor> tensors;  // any device; written from CPU copies
  std::string source;                            // the file it was read from ("" when built in memory)

  bool has(const std::string& name) const { return tensors.count(name) != 0; }
  // The tensor or an InvalidArgument naming the file and the missing name.
  const torch::Tensor& at(const std::string& name) const;
  // True when some tensor's name starts with `prefix`.
  bool has_prefix(const std::string& prefix) const;
};

// Writes atomically (temp file + rename; parent folders are created). Throws a2w::Error when the file cannot
// be written.
void write_checkpoint(const std::string& path, const Checkpoint& checkpoint);
// Reads and verifies the whole file; tensors come back on the CPU with their stored dtype.
Checkpoint read_checkpoint(const std::string& path);
// Whether the file starts with the checkpoint magic (cheap: reads 4 bytes; false when it cannot be read).
bool is_checkpoint_file(const std::string& path);

// Adds every parameter and buffer of `module` as "<prefix><name>" (CPU copies, detached).
void add_module(Checkpoint& checkpoint, torch::nn::Module& module, const std::string& prefix);
// Copies "<prefix><name>" into every parameter and buffer of `module` (converting dtype, keeping the module's
// device). Throws InvalidArgument naming the file when a tensor is missing, has another shape, or when the
// checkpoint holds "<prefix>..." tensors the module does not have.
void load_module(const Checkpoint& checkpoint, torch::nn::Module& module, const std::string& prefix);

// CRC-32 (IEEE) of `size` bytes, continuing from `crc` (0 to start).
std::uint32_t crc32(const void* data, std::size_t size, std::uint32_t crc = 0);

}  // namespace a2w::wm
