#include "a2w/tasks/png.h"

#include <zlib.h>

#include <vector>

#include "a2w/env/atomic_file.h"
#include "a2w/env/error.h"

namespace a2w::tasks {
namespace {

void put_u32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}

// One chunk: length, type, data, CRC-32 of type and data (PNG spec, section 5.3).
void chunk(std::string& out, const char* type, const std::string& data) {
  put_u32(out, static_cast<std::uint32_t>(data.size()));
  const std::string body = std::string(type, 4) + data;
  out += body;
  put_u32(out, static_cast<std::uint32_t>(
                   crc32(0L, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size()))));
}

}  // namespace

std::string encode_png(const std::uint8_t* rgb, int width, int height) {
  if (width <= 0 || height <= 0)
    throw InvalidArgument("encode_png: expected a positive image size, got " + std::to_string(width) + "x" +
                          std::to_string(height));
  const std::size_t row = static_cast<std::size_t>(width) * 3;
  std::vector<std::uint8_t> raw;
  raw.reserve((row + 1) * static_cast<std::size_t>(height));
  for (int y = 0; y < height; ++y) {
    raw.push_back(0);  // filter type: none
    raw.insert(raw.end(), rgb + static_cast<std::size_t>(y) * row,
               rgb + static_cast<std::size_t>(y + 1) * row);
  }
  uLongf size = compressBound(static_cast<uLong>(raw.size()));
  std::string packed(size, '\0');
  if (compress2(reinterpret_cast<Bytef*>(packed.data()), &size, raw.data(), static_cast<uLong>(raw.size()),
                6) != Z_OK)
    throw Error("encode_png: zlib could not compress the image");
  packed.resize(size);

  std::string out("\x89PNG\r\n\x1a\n", 8);
  std::string header;
  put_u32(header, static_cast<std::uint32_t>(width));
  put_u32(header, static_cast<std::uint32_t>(height));
  header += std::string("\x08\x02\x00\x00\x00", 5);  // 8 bits, RGB, deflate, no filter method, no interlace
  chunk(out, "IHDR", header);
  chunk(out, "IDAT", packed);
  chunk(out, "IEND", "");
  return out;
}

void write_png(const std::string& path, const std::uint8_t* rgb, int width, int height) {
  env::write_file_atomic(path, encode_png(rgb, width, height));
}

}  // namespace a2w::tasks
