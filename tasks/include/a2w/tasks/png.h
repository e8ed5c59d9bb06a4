#pragma once
// PNG files of RGB images (for `a2w tasks preview` contact sheets), written with zlib: 8-bit RGB, no
// interlace, filter "none" on every row.
//
//   a2w::tasks::write_png("sheet.png", pixels, width, height);   // pixels: H x W x 3 bytes, row 0 on top

#include <cstdint>
#include <string>

namespace a2w::tasks {

// The PNG file's bytes. Throws InvalidArgument for a non-positive size.
std::string encode_png(const std::uint8_t* rgb, int width, int height);
// Writes them to `path`; throws Error naming the path when it cannot be written.
void write_png(const std::string& path, const std::uint8_t* rgb, int width, int height);

}  // namespace a2w::tasks
