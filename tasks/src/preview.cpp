#include "a2w/tasks/preview.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <map>

#include "a2w/env/error.h"
#include "a2w/tasks/png.h"
#include "a2w/tasks/task_env.h"
#include "a2w/tasks/task_file.h"

namespace a2w::tasks {
namespace {

constexpr int kGutter = 4;
constexpr int kScale = 2;                 // font pixels per glyph pixel
constexpr int kLabel = 5 * kScale + 6;    // height of a text strip
constexpr std::uint8_t kBackground = 38;  // dark gray
constexpr std::uint8_t kInk = 235;

// A 3x5 pixel font for the labels (rows top to bottom, bit 2 = left column).
const std::map<char, std::array<std::uint8_t, 5>>& font() {
  static const std::map<char, std::array<std::uint8_t, 5>> f = {
      {'0', {7, 5, 5, 5, 7}}, {'1', {2, 6, 2, 2, 7}}, {'2', {7, 1, 7, 4, 7}}, {'3', {7, 1, 7, 1, 7}},
      {'4', {5, 5, 7, 1, 1}}, {'5', {7, 4, 7, 1, 7}}, {'6', {7, 4, 7, 5, 7}}, {'7', {7, 1, 1, 1, 1}},
      {'8', {7, 5, 7, 5, 7}}, {'9', {7, 5, 7, 1, 7}}, {'a', {2, 5, 7, 5, 5}}, {'d', {6, 5, 5, 5, 6}},
      {'e', {7, 4, 6, 4, 7}}, {'g', {7, 4, 5, 5, 7}}, {'h', {5, 5, 7, 5, 5}}, {'i', {7, 2, 2, 2, 7}},
      {'n', {5, 7, 7, 5, 5}}, {'s', {7, 4, 7, 1, 7}}, {'t', {7, 2, 2, 2, 2}}, {'v', {5, 5, 5, 5, 2}},
      {'w', {5, 5, 7, 7, 5}}, {'y', {5, 5, 2, 2, 2}}, {'_', {0, 0, 0, 0, 7}}, {' ', {0, 0, 0, 0, 0}},
  };
  return f;
}

void text(std::uint8_t* img, int width, int x, int y, const std::string& s) {
  for (char c : s) {
    const auto it = font().find(c);
    if (it != font().end())
      for (int r = 0; r < 5; ++r)
        for (int col = 0; col < 3; ++col)
          if (it->second[static_cast<std::size_t>(r)] & (4 >> col))
            for (int dy = 0; dy < kScale; ++dy)
              for (int dx = 0; dx < kScale; ++dx) {
                std::uint8_t* p =
                    img + 3 * (static_cast<std::size_t>(y + r * kScale + dy) * width + x + col * kScale + dx);
                p[0] = p[1] = p[2] = kInk;
              }
    x += 4 * kScale;
  }
}

void blit(std::uint8_t* img, int width, int x, int y, const env::Array& src) {
  const int h = static_cast<int>(src.dim(0)), w = static_cast<int>(src.dim(1));
  const auto* s = src.data<std::uint8_t>();
  for (int r = 0; r < h; ++r)
    std::memcpy(img + 3 * (static_cast<std::size_t>(y + r) * width + x),
                s + 3 * static_cast<std::size_t>(r) * w, 3 * static_cast<std::size_t>(w));
}

}  // namespace

env::Array contact_sheet(const TaskDef& task, const PreviewOptions& options) {
  if (options.seeds.empty()) throw InvalidArgument("preview: expected at least one seed, got none");
  if (options.image_size < 16 || options.image_size > 1024)
    throw InvalidArgument("preview: expected an image size in [16, 1024], got " +
                          std::to_string(options.image_size));
  TaskEnvOptions o;
  o.width = o.height = options.image_size;
  o.cameras = {"agentview", "eye_in_hand"};
  o.shadows = options.shadows;
  TaskEnv env(task, o, "preview/" + task.name);
  const int s = options.image_size, n = static_cast<int>(options.seeds.size());
  const int width = 2 * s + 3 * kGutter;
  const int height = kLabel + n * (kLabel + s) + kGutter;
  env::Array sheet(env::DType::kUInt8, {height, width, 3});
  std::uint8_t* img = sheet.data<std::uint8_t>();
  std::fill(img, img + sheet.nbytes(), kBackground);
  text(img, width, kGutter, 3, "agentview");
  text(img, width, 2 * kGutter + s, 3, "eye_in_hand");
  for (int i = 0; i < n; ++i) {
    const std::uint64_t seed = options.seeds[static_cast<std::size_t>(i)];
    const auto r = env.reset(seed);
    const int y = kLabel + i * (kLabel + s);
    text(img, width, kGutter, y + 3, "seed " + std::to_string(seed));
    blit(img, width, kGutter, y + kLabel, r.obs.at("agentview_rgb").as_array());
    blit(img, width, 2 * kGutter + s, y + kLabel, r.obs.at("eye_in_hand_rgb").as_array());
  }
  return sheet;
}

PreviewResult preview_task(const std::string& path, const PreviewOptions& options) {
  if (options.out.empty()) throw InvalidArgument("preview: expected an output path (.png), got none");
  const env::Array sheet = contact_sheet(load_task_file(path), options);
  PreviewResult r;
  r.out = options.out;
  r.height = static_cast<int>(sheet.dim(0));
  r.width = static_cast<int>(sheet.dim(1));
  write_png(r.out, sheet.data<std::uint8_t>(), r.width, r.height);
  return r;
}

}  // namespace a2w::tasks
