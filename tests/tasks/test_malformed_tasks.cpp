// Malformed task files (tests/tasks/malformed/): each one is validated, and every problem it has must be
// reported at the line (and column) marked in the file, with the marked message; nothing else may be
// reported as an error, and no two files may fail with the same first message.
//
// Markers are comments at the end of the offending line:
//   YAML: "# <- error: <text>" or "# <- error (col 26): <text>"
//   MJCF: "<!-- <- error: <text> -->" (problems inside an included model file)
// <text> must appear in the diagnostic's message.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>

#include "a2w/tasks/validate.h"

using namespace a2w::tasks;
namespace fs = std::filesystem;

namespace {

struct Marker {
  std::string file;  // canonical path
  int line = 0;
  int column = 0;  // 0: any
  std::string text;
};

std::string canonical(const std::string& p) {
  std::error_code ec;
  const auto c = fs::weakly_canonical(p, ec);
  return ec ? p : c.string();
}

std::vector<Marker> markers_in(const fs::path& file) {
  static const std::regex yaml_re(R"(# <- error(?: \(col (\d+)\))?: (.*)$)");
  static const std::regex xml_re(R"(<!-- <- error(?: \(col (\d+)\))?: (.*) -->)");
  std::vector<Marker> out;
  std::ifstream in(file);
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    std::smatch m;
    if (std::regex_search(line, m, file.extension() == ".xml" ? xml_re : yaml_re) ||
        std::regex_search(line, m, xml_re))
      out.push_back({canonical(file.string()), n, m[1].matched ? std::stoi(m[1]) : 0, m[2]});
  }
  return out;
}

const fs::path kDir = fs::path(A2W_SOURCE_DIR) / "tests/tasks/malformed";

}  // namespace

TEST_CASE("every malformed task file reports each of its problems at the marked line, and nothing else") {
  std::vector<fs::path> tasks;
  std::vector<Marker> all_markers;
  for (const auto& e : fs::recursive_directory_iterator(kDir)) {
    if (!e.is_regular_file()) continue;
    if (e.path().extension() == ".yaml") tasks.push_back(e.path());
    for (auto& m : markers_in(e.path())) all_markers.push_back(std::move(m));
  }
  std::sort(tasks.begin(), tasks.end());
  REQUIRE(tasks.size() >= 20);
  std::set<std::string> first_messages;
  std::set<const Marker*> matched;
  ValidationOptions o;
  o.seeds = 1;
  for (const auto& t : tasks) {
    CAPTURE(t.filename().string());
    const ValidationResult r = validate_task_file(t.string(), o);
    CHECK(!r.ok());
    std::string listing;
    for (const auto& d : r.diagnostics) listing += d.str() + "\n";
    CAPTURE(listing);
    // The markers that belong to this task: in its own file, or in a model file it reads.
    std::set<std::string> files{canonical(t.string())};
    for (const auto& d : r.diagnostics) files.insert(canonical(d.loc.file));
    for (const auto& m : all_markers) {
      if (!files.count(m.file)) continue;
      bool found = false;
      for (const auto& d : r.diagnostics)
        found |= d.is_error() && canonical(d.loc.file) == m.file && d.loc.line == m.line &&
                 (m.column == 0 || d.loc.column == m.column) && d.message.find(m.text) != std::string::npos;
      CAPTURE(m.line);
      CAPTURE(m.text);
      CHECK_MESSAGE(found, "no diagnostic at the marked line with the marked text");
      if (found) matched.insert(&m);
    }
    // Every error is one a marker expects: no follow-on noise.
    for (const auto& d : r.diagnostics) {
      if (!d.is_error()) continue;
      bool expected = false;
      for (const auto& m : all_markers) expected |= canonical(d.loc.file) == m.file && d.loc.line == m.line;
      CAPTURE(d.str());
      CHECK_MESSAGE(expected, "an error no marker expects");
    }
    // Each file fails for its own reason.
    for (const auto& d : r.diagnostics)
      if (d.is_error()) {
        CHECK_MESSAGE(first_messages.insert(d.message).second,
                      "two malformed files fail with the same message");
        break;
      }
  }
  CHECK(matched.size() == all_markers.size());
  MESSAGE(tasks.size() << " malformed task files, " << all_markers.size() << " marked problems");
}

TEST_CASE("a file with several problems reports all of them, in the order of the file") {
  const ValidationResult r = validate_task_file((kDir / "every_problem.yaml").string());
  REQUIRE(r.errors() == 5);
  for (std::size_t i = 1; i < r.diagnostics.size(); ++i)
    CHECK(r.diagnostics[i - 1].loc.line <= r.diagnostics[i].loc.line);
}
