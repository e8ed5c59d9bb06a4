#include "a2w/wm/checkpoint.h"

#include <unistd.h>

#include <array>
#include <bit>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "a2w/env/error.h"
#include "a2w/env/json.h"

namespace a2w::wm {

static_assert(std::endian::native == std::endian::little,
              "the checkpoint format stores little-endian bytes; this build copies memory as it is");

namespace {

constexpr char kMagic[4] = {'A', '2', 'W', 'M'};
constexpr std::size_t kPreamble = 16;  // magic, version, header length
constexpr std::uint64_t kAlign = 64;
constexpr std::uint64_t kMaxHeader = 64ull << 20;  // a header is kilobytes; refuse absurd lengths early

std::uint64_t align_up(std::uint64_t v) {
  return (v + kAlign - 1) / kAlign * kAlign;
}

const std::array<std::uint32_t, 256>& crc_table() {
  static const auto table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  return table;
}

struct DTypeName {
  torch::ScalarType type;
  const char* name;
};
constexpr DTypeName kDTypes[] = {
    {torch::kFloat32, "float32"}, {torch::kFloat16, "float16"}, {torch::kBFloat16, "bfloat16"},
    {torch::kFloat64, "float64"}, {torch::kInt64, "int64"},     {torch::kInt32, "int32"},
    {torch::kUInt8, "uint8"},     {torch::kBool, "bool"},
};

const char* dtype_name(torch::ScalarType t) {
  for (const auto& d : kDTypes)
    if (d.type == t) return d.name;
  throw InvalidArgument(
      std::string("write_checkpoint: tensors of dtype ") + c10::toString(t) +
      " cannot be stored; expected one of float32, float16, bfloat16, float64, int64, int32, "
      "uint8, bool");
}

std::string shape_text(const std::vector<std::int64_t>& s) {
  std::string t = "[";
  for (std::size_t i = 0; i < s.size(); ++i) t += (i ? ", " : "") + std::to_string(s[i]);
  return t + "]";
}

std::string hex_bytes(const char* p, std::size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  for (std::size_t i = 0; i < n; ++i) {
    const auto b = static_cast<unsigned char>(p[i]);
    s += digits[b >> 4];
    s += digits[b & 15];
    if (i + 1 < n) s += ' ';
  }
  return s;
}

template <typename T>
T read_le(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

class CrcWriter {
 public:
  CrcWriter(std::FILE* f, const std::string& path) : f_(f), path_(path) {}
  void write(const void* data, std::size_t n) {
    if (n == 0) return;
    if (std::fwrite(data, 1, n, f_) != n)
      throw Error("write_checkpoint: writing " + path_ + " failed (disk full?)");
    crc_ = crc32(data, n, crc_);
  }
  void zeros(std::size_t n) {
    static const char z[kAlign] = {};
    while (n > 0) {
      const auto k = std::min<std::size_t>(n, kAlign);
      write(z, k);
      n -= k;
    }
  }
  std::uint32_t crc() const { return crc_; }

 private:
  std::FILE* f_;
  const std::string& path_;
  std::uint32_t crc_ = 0;
};

[[noreturn]] void refuse(const std::string& path, const std::string& what) {
  throw InvalidArgument("checkpoint " + path + ": " + what);
}

}  // namespace

std::uint32_t crc32(const void* data, std::size_t size, std::uint32_t crc) {
  const auto& t = crc_table();
  const auto* p = static_cast<const unsigned char*>(data);
  crc = ~crc;
  for (std::size_t i = 0; i < size; ++i) crc = t[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

const torch::Tensor& Checkpoint::at(const std::string& name) const {
  auto it = tensors.find(name);
  if (it == tensors.end())
    throw InvalidArgument("checkpoint " + (source.empty() ? std::string("(in memory)") : source) +
                          ": expected a tensor named '" + name + "', found none");
  return it->second;
}

bool Checkpoint::has_prefix(const std::string& prefix) const {
  auto it = tensors.lower_bound(prefix);
  return it != tensors.end() && it->first.compare(0, prefix.size(), prefix) == 0;
}

void write_checkpoint(const std::string& path, const Checkpoint& checkpoint) {
  namespace fs = std::filesystem;
  // Contiguous CPU copies first, so the layout in the header is exactly what gets written.
  std::vector<std::pair<std::string, torch::Tensor>> tensors;
  env::List entries;
  std::uint64_t offset = 0;
  for (const auto& [name, t] : checkpoint.tensors) {
    if (!t.defined()) throw InvalidArgument("write_checkpoint: tensor '" + name + "' is undefined");
    auto cpu = t.detach().to(torch::kCPU).contiguous();
    const auto bytes = static_cast<std::uint64_t>(cpu.nbytes());
    env::List shape;
    for (auto d : cpu.sizes()) shape.emplace_back(static_cast<std::int64_t>(d));
    entries.emplace_back(env::Dict{{"name", name},
                                   {"dtype", dtype_name(cpu.scalar_type())},
                                   {"shape", shape},
                                   {"offset", static_cast<std::int64_t>(offset)},
                                   {"bytes", static_cast<std::int64_t>(bytes)}});
    tensors.emplace_back(name, std::move(cpu));
    offset = align_up(offset + bytes);
  }
  const env::Dict header{{"format", "a2w world model checkpoint"},
                         {"config", checkpoint.config.to_dict()},
                         {"meta", checkpoint.meta},
                         {"tensors", entries},
                         {"data_bytes", static_cast<std::int64_t>(offset)}};
  const std::string json = env::to_json(header, true);

  const fs::path final_path(path);
  if (final_path.has_parent_path()) fs::create_directories(final_path.parent_path());
  const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) throw Error("write_checkpoint: cannot create " + tmp + ": " + std::strerror(errno));
  try {
    CrcWriter w(f, tmp);
    const std::uint32_t version = kCheckpointVersion;
    const std::uint64_t header_len = json.size();
    w.write(kMagic, 4);
    w.write(&version, 4);
    w.write(&header_len, 8);
    w.write(json.data(), json.size());
    w.zeros(align_up(kPreamble + header_len) - (kPreamble + header_len));
    std::uint64_t written = 0;
    for (const auto& [name, t] : tensors) {
      const auto bytes = static_cast<std::uint64_t>(t.nbytes());
      w.write(t.data_ptr(), bytes);
      w.zeros(align_up(written + bytes) - (written + bytes));
      written = align_up(written + bytes);
    }
    const std::uint32_t crc = w.crc();
    if (std::fwrite(&crc, 1, 4, f) != 4)
      throw Error("write_checkpoint: writing " + tmp + " failed (disk full?)");
    if (std::fflush(f) != 0 || ::fsync(::fileno(f)) != 0)
      throw Error("write_checkpoint: flushing " + tmp + " failed: " + std::strerror(errno));
  } catch (...) {
    std::fclose(f);
    std::remove(tmp.c_str());
    throw;
  }
  std::fclose(f);
  std::error_code ec;
  fs::rename(tmp, final_path, ec);
  if (ec) {
    std::remove(tmp.c_str());
    throw Error("write_checkpoint: cannot rename " + tmp + " to " + path + ": " + ec.message());
  }
}

bool is_checkpoint_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char m[4] = {};
  return in.read(m, 4) && std::memcmp(m, kMagic, 4) == 0;
}

Checkpoint read_checkpoint(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw Error("read_checkpoint: cannot open " + path + " (missing or unreadable)");
  const auto size = static_cast<std::uint64_t>(in.tellg());
  in.seekg(0);
  // The whole file at once: the CRC covers every byte, and the tensors are copied out of this buffer.
  std::string buf(size, '\0');
  if (!in.read(buf.data(), static_cast<std::streamsize>(size)))
    throw Error("read_checkpoint: cannot read " + path);

  if (size < 4 || std::memcmp(buf.data(), kMagic, 4) != 0)
    refuse(path,
           "not an a2w world-model checkpoint: expected the magic bytes 'A2WM' (41 32 57 4d) at its start, "
           "found " +
               (size == 0 ? std::string("an empty file")
                          : hex_bytes(buf.data(), std::min<std::uint64_t>(size, 4))));
  if (size < kPreamble + 4)
    refuse(path, "truncated: " + std::to_string(size) + " bytes, shorter than the smallest checkpoint");
  const auto version = read_le<std::uint32_t>(buf.data() + 4);
  if (version != kCheckpointVersion)
    refuse(path, "format version " + std::to_string(version) + ", this build reads version " +
                     std::to_string(kCheckpointVersion) +
                     (version > kCheckpointVersion ? " (written by a newer a2w; upgrade to load it)"
                                                   : " (written by an older a2w; convert or retrain it)"));
  const auto header_len = read_le<std::uint64_t>(buf.data() + 8);
  if (header_len > kMaxHeader || kPreamble + header_len + 4 > size)
    refuse(path, "truncated or corrupt: the header says it is " + std::to_string(header_len) +
                     " bytes long, but the file has " + std::to_string(size) + " bytes");
  const auto stored_crc = read_le<std::uint32_t>(buf.data() + size - 4);
  auto crc_error = [&] {
    const auto computed = crc32(buf.data(), size - 4);
    if (computed == stored_crc) return std::string();
    std::ostringstream s;
    s << "corrupted: CRC-32 of its bytes is " << std::hex << computed << ", the file stores " << stored_crc;
    return s.str();
  };

  env::Dict header;
  try {
    header = env::parse_json(std::string_view(buf.data() + kPreamble, header_len)).as_dict();
  } catch (const Error& e) {
    if (auto c = crc_error(); !c.empty()) refuse(path, c);
    refuse(path, std::string("malformed header: ") + e.what());
  }

  const std::uint64_t data_start = align_up(kPreamble + header_len);
  std::uint64_t data_bytes = 0;
  try {
    data_bytes = static_cast<std::uint64_t>(env::get(header, "data_bytes").as_int());
  } catch (const Error& e) {
    refuse(path, std::string("malformed header: ") + e.what());
  }
  const std::uint64_t expected = data_start + data_bytes + 4;
  if (size < expected)
    refuse(path, "truncated: expected " + std::to_string(expected) +
                     " bytes (as its header says), the file has " + std::to_string(size));
  if (size > expected)
    refuse(path, "has " + std::to_string(size) + " bytes, expected " + std::to_string(expected) +
                     " (as its header says): trailing data");
  if (auto c = crc_error(); !c.empty()) refuse(path, c);

  Checkpoint ck;
  ck.source = path;
  try {
    ck.config = WorldModelConfig::from_dict(env::get(header, "config").as_dict());
    ck.config.validate();
    ck.meta = env::get(header, "meta").as_dict();
    for (const auto& entry : env::get(header, "tensors").as_list()) {
      const auto& e = entry.as_dict();
      const auto& name = env::get(e, "name").as_string();
      const auto& dtype = env::get(e, "dtype").as_string();
      const DTypeName* dt = nullptr;
      for (const auto& d : kDTypes)
        if (dtype == d.name) dt = &d;
      if (!dt)
        refuse(path, "tensor '" + name + "' has dtype '" + dtype + "', which this build does not read");
      std::vector<std::int64_t> shape;
      for (const auto& d : env::get(e, "shape").as_list()) shape.push_back(d.as_int());
      const auto offset = static_cast<std::uint64_t>(env::get(e, "offset").as_int());
      const auto bytes = static_cast<std::uint64_t>(env::get(e, "bytes").as_int());
      auto t = torch::empty(shape, torch::TensorOptions().dtype(dt->type));
      if (static_cast<std::uint64_t>(t.nbytes()) != bytes)
        refuse(path, "tensor '" + name + "' of shape " + shape_text(shape) + " and dtype " + dtype +
                         " needs " + std::to_string(t.nbytes()) + " bytes, its entry says " +
                         std::to_string(bytes));
      if (offset + bytes > data_bytes)
        refuse(path, "tensor '" + name + "' lies outside the data section (offset " + std::to_string(offset) +
                         " + " + std::to_string(bytes) + " bytes > " + std::to_string(data_bytes) + ")");
      if (bytes) std::memcpy(t.data_ptr(), buf.data() + data_start + offset, bytes);
      if (!ck.tensors.emplace(name, std::move(t)).second) refuse(path, "tensor '" + name + "' appears twice");
    }
  } catch (const InvalidArgument& e) {
    if (std::string(e.what()).rfind("checkpoint ", 0) == 0) throw;
    refuse(path, std::string("malformed header: ") + e.what());
  } catch (const Error& e) {
    refuse(path, std::string("malformed header: ") + e.what());
  }
  return ck;
}

void add_module(Checkpoint& checkpoint, torch::nn::Module& module, const std::string& prefix) {
  for (const auto& p : module.named_parameters())
    checkpoint.tensors[prefix + p.key()] = p.value().detach().to(torch::kCPU).clone();
  for (const auto& b : module.named_buffers())
    checkpoint.tensors[prefix + b.key()] = b.value().detach().to(torch::kCPU).clone();
}

void load_module(const Checkpoint& checkpoint, torch::nn::Module& module, const std::string& prefix) {
  const std::string where = checkpoint.source.empty() ? std::string("(in memory)") : checkpoint.source;
  std::set<std::string> expected;
  torch::NoGradGuard no_grad;
  auto copy = [&](const std::string& name, torch::Tensor& dst) {
    const std::string key = prefix + name;
    expected.insert(key);
    auto it = checkpoint.tensors.find(key);
    if (it == checkpoint.tensors.end())
      throw InvalidArgument("checkpoint " + where + ": expected a tensor '" + key + "' of shape " +
                            shape_text(dst.sizes().vec()) + " for this model's config, found none");
    if (it->second.sizes() != dst.sizes())
      throw InvalidArgument("checkpoint " + where + ": tensor '" + key + "' has shape " +
                            shape_text(it->second.sizes().vec()) +
                            ", the model built from its config expects " + shape_text(dst.sizes().vec()));
    dst.copy_(it->second.to(dst.scalar_type()));
  };
  for (auto& p : module.named_parameters()) copy(p.key(), p.value());
  for (auto& b : module.named_buffers()) copy(b.key(), b.value());
  for (auto it = checkpoint.tensors.lower_bound(prefix);
       it != checkpoint.tensors.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it)
    if (!expected.count(it->first))
      throw InvalidArgument("checkpoint " + where + ": tensor '" + it->first +
                            "' has no counterpart in the model built from its config (extra tensor)");
}

}  // namespace a2w::wm
