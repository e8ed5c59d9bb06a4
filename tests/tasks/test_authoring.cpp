// Authoring tools: validation of the built-in tasks and of the starting template, the task search path
// (A2W_TASK_PATH, namespaced ids, clashes), PNG contact sheets.
#include <doctest/doctest.h>
#include <zlib.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "a2w/env/registry.h"
#include "a2w/tasks/png.h"
#include "a2w/tasks/preview.h"
#include "a2w/tasks/task_file.h"
#include "a2w/tasks/task_template.h"
#include "a2w/tasks/tasks.h"
#include "a2w/tasks/validate.h"
#include "task_test_util.h"

using namespace a2w;
using namespace a2w::tasks;
namespace fs = std::filesystem;

namespace {

struct Scratch {
  fs::path dir;
  explicit Scratch(const std::string& name) : dir(fs::temp_directory_path() / ("a2w_test_" + name)) {
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  ~Scratch() { fs::remove_all(dir); }
};

std::uint32_t be32(const std::string& s, std::size_t at) {
  std::uint32_t v = 0;
  for (int k = 0; k < 4; ++k) v = (v << 8) | static_cast<unsigned char>(s[at + static_cast<std::size_t>(k)]);
  return v;
}

}  // namespace

TEST_CASE("every built-in task is written in the documented language and validates without a problem") {
  for (const char* f : test::kBuiltinFiles) {
    CAPTURE(f);
    const ValidationResult r = validate_task_file(test::defs_dir() + "/" + f);
    std::string listing;
    for (const auto& d : r.diagnostics) listing += d.str() + "\n";
    CAPTURE(listing);
    CHECK(r.ok());
    CHECK(r.warnings() == 0);
  }
}

TEST_CASE("tasks new: the starting template validates, and its expert succeeds") {
  CHECK(task_file_name("PlateCube") == "plate_cube.yaml");
  CHECK(task_file_name("Reach") == "reach.yaml");
  CHECK(task_file_name("PickABC") == "pick_abc.yaml");
  CHECK_THROWS_AS(task_template("3rd"), InvalidArgument);
  Scratch s("template");
  const std::string path = write_task_template("PlateCube", s.dir.string());
  CHECK(path == (s.dir / "plate_cube.yaml").string());
  CHECK_THROWS_WITH_AS(write_task_template("PlateCube", s.dir.string()), doctest::Contains("exists"),
                       InvalidArgument);
  ValidationOptions o;
  o.expert_episodes = 10;
  const ValidationResult r = validate_task_file(path, o);
  std::string listing;
  for (const auto& d : r.diagnostics) listing += d.str() + "\n";
  CAPTURE(listing);
  CHECK(r.ok());
  CHECK(r.warnings() == 0);
  REQUIRE(r.expert_success);
  CHECK(*r.expert_success >= 0.9);
  CHECK(load_task_file(path).name == "PlateCube");
}

TEST_CASE("validation warns about what runs but is probably not meant") {
  const std::string text = R"yaml(name: Odd
horizon: 20
objects:
  - {name: cube, x: [-0.4, -0.35]}
success: "not(lifted(cube, 0.1))"
expert: [grasp]
)yaml";
  const ValidationResult r = validate_task_text(text, "odd.yaml");
  CHECK(r.ok());
  std::string listing;
  for (const auto& d : r.diagnostics) listing += d.str() + "\n";
  CAPTURE(listing);
  CHECK(listing.find("odd.yaml:4:5: warning: object 'cube': x range [-0.4, -0.35] reaches beyond where the "
                     "arm can go") != std::string::npos);
  CHECK(listing.find("odd.yaml:5:11: warning: success holds in the initial state") != std::string::npos);
}

TEST_CASE(
    "A2W_TASK_PATH: user tasks are namespaced, folders that are not there are reported, clashes name both "
    "files") {
  Scratch a("path_a"), b("path_b");
  const std::string mini = R"yaml(name: Same
horizon: 10
objects: [{name: cube}]
success: "lifted(cube, 0.1)"
expert: [grasp]
)yaml";
  std::ofstream(a.dir / "same.yaml") << mini;
  std::ofstream(b.dir / "other_file_name.yml") << mini;
  std::ofstream(b.dir / "unique.yaml") << "name: Unique\nhorizon: 10\nobjects: [{name: cube}]\n"
                                          "success: \"lifted(cube, 0.1)\"\nexpert: [grasp]\n";
  const std::string path = a.dir.string() + ":/no/such/folder:" + b.dir.string();
  ::setenv("A2W_TASK_PATH", path.c_str(), 1);
  const TaskCatalog catalog = find_task_files();
  CHECK(task_search_path().size() == 4);
  register_tasks();
  ::unsetenv("A2W_TASK_PATH");
  REQUIRE(catalog.warnings.size() == 1);
  CHECK(catalog.warnings[0].find("/no/such/folder") != std::string::npos);
  int same = 0;
  for (const auto& f : catalog.files)
    if (f.id == "user/Same-v0") {
      ++same;
      CHECK(f.clash.find("defined by more than one file") != std::string::npos);
    }
  CHECK(same == 2);
  CHECK(is_registered("user/Unique-v0"));
  CHECK(a2w::make("user/Unique-v0", {{"render", false}})->spec().id == "user/Unique-v0");
  try {
    a2w::make("user/Same-v0", {{"render", false}});
    FAIL("a clashing id must not make an env");
  } catch (const InvalidArgument& e) {
    const std::string msg = e.what();
    CHECK(msg.find((a.dir / "same.yaml").string()) != std::string::npos);
    CHECK(msg.find((b.dir / "other_file_name.yml").string()) != std::string::npos);
  }
  // Built-in ids stay in their own namespace: a user file named like a built-in task does not clash.
  CHECK(is_registered("a2w/LiftCube-v0"));
}

TEST_CASE("PNG: signature, header, CRCs and pixels survive a round trip through zlib") {
  const int w = 5, h = 3;
  std::vector<std::uint8_t> rgb(static_cast<std::size_t>(w * h * 3));
  for (std::size_t i = 0; i < rgb.size(); ++i) rgb[i] = static_cast<std::uint8_t>(i * 7);
  const std::string png = encode_png(rgb.data(), w, h);
  REQUIRE(png.substr(0, 8) == std::string("\x89PNG\r\n\x1a\n", 8));
  std::size_t at = 8;
  std::string idat;
  std::vector<std::string> types;
  while (at < png.size()) {
    const std::uint32_t len = be32(png, at);
    const std::string type = png.substr(at + 4, 4);
    const std::string data = png.substr(at + 8, len);
    const std::string body = png.substr(at + 4, 4 + len);
    CHECK(be32(png, at + 8 + len) ==
          crc32(0L, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size())));
    if (type == "IHDR") {
      CHECK(be32(data, 0) == static_cast<std::uint32_t>(w));
      CHECK(be32(data, 4) == static_cast<std::uint32_t>(h));
      CHECK(data[8] == 8);  // bit depth
      CHECK(data[9] == 2);  // RGB
    }
    if (type == "IDAT") idat += data;
    types.push_back(type);
    at += 12 + len;
  }
  CHECK(types == std::vector<std::string>{"IHDR", "IDAT", "IEND"});
  std::vector<std::uint8_t> raw(static_cast<std::size_t>(h * (1 + w * 3)));
  uLongf n = raw.size();
  REQUIRE(uncompress(raw.data(), &n, reinterpret_cast<const Bytef*>(idat.data()), idat.size()) == Z_OK);
  REQUIRE(n == raw.size());
  for (int y = 0; y < h; ++y) {
    CHECK(raw[static_cast<std::size_t>(y * (1 + w * 3))] == 0);
    for (int x = 0; x < w * 3; ++x)
      CHECK(raw[static_cast<std::size_t>(y * (1 + w * 3) + 1 + x)] ==
            rgb[static_cast<std::size_t>(y * w * 3 + x)]);
  }
  CHECK_THROWS_AS(encode_png(rgb.data(), 0, 3), InvalidArgument);
}

TEST_CASE("tasks preview: a contact sheet of both cameras, a row per seed, differs between seeds") {
  Scratch s("preview");
  PreviewOptions o;
  o.seeds = {0, 7};
  o.image_size = 32;
  o.shadows = false;
  o.out = (s.dir / "sheet.png").string();
  const PreviewResult r = preview_task(test::defs_dir() + "/lift_cube.yaml", o);
  CHECK(r.width == 2 * 32 + 3 * 4);
  CHECK(r.height == 16 + 2 * (16 + 32) + 4);
  CHECK(fs::file_size(o.out) > 100);
  const env::Array sheet = contact_sheet(load_task_file(test::defs_dir() + "/lift_cube.yaml"), o);
  // The two rows show different initial states.
  const auto* p = sheet.data<std::uint8_t>();
  const std::size_t row = static_cast<std::size_t>(r.width) * 3;
  bool differs = false;
  for (int y = 0; y < 32 && !differs; ++y)
    differs = std::memcmp(p + (32 + static_cast<std::size_t>(y)) * row,
                          p + (32 + 48 + static_cast<std::size_t>(y)) * row, row) != 0;
  CHECK(differs);
  o.out.clear();
  CHECK_THROWS_AS(preview_task(test::defs_dir() + "/lift_cube.yaml", o), InvalidArgument);
}
