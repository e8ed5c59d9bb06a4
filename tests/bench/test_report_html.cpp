// The correlation report in a real browser: Debian's chromium, headless, renders the page with no console
// messages, the rendered DOM has one scatter point per (policy, task), and the screenshot is not blank.

#include <doctest/doctest.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "a2w/bench/correlation.h"
#include "a2w/env/atomic_file.h"

using namespace a2w::bench;

namespace {

std::string run(const std::string& command) {
  std::string out;
  if (FILE* p = ::popen(command.c_str(), "r")) {
    std::array<char, 4096> buf{};
    while (std::size_t n = std::fread(buf.data(), 1, buf.size(), p)) out.append(buf.data(), n);
    ::pclose(p);
  }
  return out;
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("correlation report: headless Chromium renders it, one point per policy, not blank, no console") {
  REQUIRE_MESSAGE(std::filesystem::exists("/usr/bin/chromium"),
                  "Debian's chromium is missing: scripts/setup.sh installs it");
  std::vector<EvalRecord> rs;
  const char* names[4] = {"a", "b", "c", "d"};
  for (int p = 0; p < 4; ++p)
    for (int s = 0; s < 6; ++s)
      for (const char* backend : {"physics", "wm"}) {
        EvalRecord r;
        r.policy = names[p];
        r.task = "a2w/LiftCube-v0";
        r.backend = backend;
        r.seed = static_cast<std::uint64_t>(s);
        r.success_once = s < p + (backend[0] == 'w' ? 1 : 0);
        rs.push_back(r);
      }
  CorrelateOptions o;
  o.resamples = 50;
  const auto dir = std::filesystem::temp_directory_path() / ("a2w_report_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto html = dir / "report.html", png = dir / "shot.png";
  a2w::env::write_file_atomic(html, correlation_html(correlate(rs, o), "test report"));

  const std::string browser =
      "timeout 120 /usr/bin/chromium --headless --disable-gpu --no-sandbox "
      "--user-data-dir=" +
      (dir / "profile").string() + " --enable-logging=stderr --v=0 ";
  const std::string dom =
      run(browser + "--dump-dom file://" + html.string() + " 2>" + (dir / "log").string());
  CHECK(count(dom, "<circle") == 4);  // the DOM after parsing: one point per (policy, task)
  CHECK(count(dom, "<tr>") >= 6);
  std::ifstream log(dir / "log");
  const std::string messages((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  CHECK(count(messages, "CONSOLE") == 0);

  run(browser + "--window-size=800,900 --screenshot=" + png.string() + " file://" + html.string() +
      " 2>/dev/null");
  REQUIRE(std::filesystem::exists(png));
  // Not blank: /usr/bin/python3 decodes the PNG (zlib, no imaging library) and counts distinct rows.
  const std::string rows =
      run("/usr/bin/python3 -c \"import sys,zlib,struct\n"
          "d=open(sys.argv[1],'rb').read(); i=8; idat=b''; w=h=0\n"
          "while i<len(d):\n"
          "  n,t=struct.unpack('>I4s',d[i:i+8]); c=d[i+8:i+8+n]; i+=12+n\n"
          "  if t==b'IHDR': w,h,bd,ct=struct.unpack('>IIBB',c[:10])\n"
          "  if t==b'IDAT': idat+=c\n"
          "raw=zlib.decompress(idat); bpp=len(raw)//h-1; print(len(set(raw[r*(bpp+1)+1:(r+1)*(bpp+1)] for r "
          "in range(h))))\" " +
          png.string());
  // Filtered rows of a blank page are one or two distinct byte strings; text, axes and tables give hundreds.
  CHECK(std::atoi(rows.c_str()) > 20);
  std::filesystem::remove_all(dir);
}
