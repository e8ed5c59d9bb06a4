// correlation_html: the report page of `a2w correlate`. Inline SVG and CSS only, so it opens anywhere without
// a network and without script.

#include <cmath>
#include <map>
#include <sstream>

#include "a2w/bench/correlation.h"

namespace a2w::bench {

namespace {

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string fixed(double v, int digits = 3) {
  if (std::isnan(v)) return "&ndash;";
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(digits);
  s << v;
  return s.str();
}

const char* kPalette[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd",
                          "#ff7f0e", "#17becf", "#8c564b", "#e377c2"};

// Scatter plot: physics success on x, imagined on y, both [0, 1]; one point per (policy, task).
std::string scatter(const CorrelationReport& r, const std::map<std::string, int>& colour) {
  const double size = 420, pad = 48, plot = size - 2 * pad;
  auto x = [&](double v) { return pad + v * plot; };
  auto y = [&](double v) { return size - pad - v * plot; };
  std::ostringstream s;
  s << "<svg id=\"scatter\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" << size << "\" height=\"" << size
    << "\" viewBox=\"0 0 " << size << " " << size << "\">\n";
  s << "<rect x=\"" << pad << "\" y=\"" << pad << "\" width=\"" << plot << "\" height=\"" << plot
    << "\" fill=\"#fafafa\" stroke=\"#999\"/>\n";
  for (int i = 0; i <= 4; ++i) {
    const double v = i / 4.0;
    s << "<line x1=\"" << x(v) << "\" y1=\"" << y(0) << "\" x2=\"" << x(v) << "\" y2=\"" << y(1)
      << "\" stroke=\"#e4e4e4\"/><line x1=\"" << x(0) << "\" y1=\"" << y(v) << "\" x2=\"" << x(1)
      << "\" y2=\"" << y(v) << "\" stroke=\"#e4e4e4\"/>\n";
    s << "<text x=\"" << x(v) << "\" y=\"" << size - pad + 16 << "\" text-anchor=\"middle\">" << fixed(v, 2)
      << "</text><text x=\"" << pad - 6 << "\" y=\"" << y(v) + 4 << "\" text-anchor=\"end\">" << fixed(v, 2)
      << "</text>\n";
  }
  s << "<line class=\"identity\" x1=\"" << x(0) << "\" y1=\"" << y(0) << "\" x2=\"" << x(1) << "\" y2=\""
    << y(1) << "\" stroke=\"#555\" stroke-dasharray=\"5,4\"/>\n";
  s << "<text x=\"" << size / 2 << "\" y=\"" << size - 8
    << "\" text-anchor=\"middle\">physics success</text>\n";
  s << "<text transform=\"translate(14," << size / 2
    << ") rotate(-90)\" text-anchor=\"middle\">imagined success (A2World-sim)</text>\n";
  for (const auto& p : r.points) {
    const char* c = kPalette[colour.at(p.task) % 8];
    s << "<g class=\"point\"><title>" << escape(p.policy) << " on " << escape(p.task) << ": physics "
      << fixed(p.physics, 2) << ", imagined " << fixed(p.imagined, 2) << " (" << p.paired
      << " episodes)</title>";
    s << "<line x1=\"" << x(p.physics_ci.low) << "\" y1=\"" << y(p.imagined) << "\" x2=\""
      << x(p.physics_ci.high) << "\" y2=\"" << y(p.imagined) << "\" stroke=\"" << c
      << "\" stroke-opacity=\"0.5\"/>";
    s << "<line x1=\"" << x(p.physics) << "\" y1=\"" << y(p.imagined_ci.low) << "\" x2=\"" << x(p.physics)
      << "\" y2=\"" << y(p.imagined_ci.high) << "\" stroke=\"" << c << "\" stroke-opacity=\"0.5\"/>";
    s << "<circle cx=\"" << x(p.physics) << "\" cy=\"" << y(p.imagined) << "\" r=\"5\" fill=\"" << c
      << "\"/></g>\n";
  }
  s << "</svg>\n";
  return s.str();
}

// Per (policy, task) bars: physics beside imagined.
std::string bars(const CorrelationReport& r) {
  const double row = 22, label = 300, width = 300, height = row * static_cast<double>(r.points.size()) + 30;
  std::ostringstream s;
  s << "<svg id=\"bars\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" << label + width + 60
    << "\" height=\"" << height << "\">\n";
  double yy = 20;
  for (const auto& p : r.points) {
    s << "<text x=\"" << label - 8 << "\" y=\"" << yy + 12 << "\" text-anchor=\"end\">" << escape(p.policy)
      << " · " << escape(p.task) << "</text>";
    s << "<rect x=\"" << label << "\" y=\"" << yy << "\" width=\"" << width * p.physics
      << "\" height=\"8\" fill=\"#555\"><title>physics " << fixed(p.physics, 2) << "</title></rect>";
    s << "<rect x=\"" << label << "\" y=\"" << yy + 9 << "\" width=\"" << width * p.imagined
      << "\" height=\"8\" fill=\"#1f77b4\"><title>imagined " << fixed(p.imagined, 2) << "</title></rect>\n";
    yy += row;
  }
  s << "<text x=\"" << label << "\" y=\"12\">■ physics</text><text x=\"" << label + 90
    << "\" y=\"12\" fill=\"#1f77b4\">■ imagined</text>\n</svg>\n";
  return s.str();
}

}  // namespace

std::string correlation_html(const CorrelationReport& r, const std::string& title) {
  std::map<std::string, int> colour;
  for (const auto& p : r.points) colour.try_emplace(p.task, static_cast<int>(colour.size()));
  std::ostringstream s;
  s << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" << escape(title)
    << "</title>\n<style>body{font:14px sans-serif;margin:24px;color:#222}svg text{font:11px sans-serif}"
       "table{border-collapse:collapse;margin:12px 0}td,th{border:1px solid #ccc;padding:3px "
       "8px;text-align:right}"
       "th{background:#f0f0f0}td:first-child{text-align:left}.legend "
       "span{margin-right:14px}</style></head>\n<body>\n";
  s << "<h1>" << escape(title)
    << "</h1>\n<p>Success imagined in A2World-sim against success in physics, paired "
       "by (policy, task, seed); success_once. Intervals: Wilson 95 % per point; bootstrap ("
    << r.options.resamples << " resamples of episodes within each point, seed " << r.options.seed
    << ") for Pearson and MMRV. MMRV(sim = imagined, real = physics).</p>\n";
  s << "<div class=\"legend\">";
  for (const auto& [task, c] : colour)
    s << "<span style=\"color:" << kPalette[c % 8] << "\">● " << escape(task) << "</span>";
  s << "</div>\n" << scatter(r, colour);
  s << "<h2>Metrics</h2>\n<table "
       "id=\"metrics\"><tr><th>scope</th><th>points</th><th>episodes</th><th>Pearson</th>"
       "<th>95 % CI</th><th>Spearman</th><th>Kendall &tau;<sub>b</sub></th><th>gap (im. &minus; phys.)</th>"
       "<th>MMRV</th><th>95 % CI</th><th>agreement</th><th>&kappa;</th></tr>\n";
  for (const auto& c : r.scopes)
    s << "<tr><td>" << escape(c.scope) << "</td><td>" << c.points << "</td><td>" << c.episodes << "</td><td>"
      << fixed(c.pearson) << "</td><td>[" << fixed(c.pearson_ci.low) << ", " << fixed(c.pearson_ci.high)
      << "]</td><td>" << fixed(c.spearman) << "</td><td>" << fixed(c.kendall_tau_b) << "</td><td>"
      << fixed(c.mean_gap) << "</td><td>" << fixed(c.mmrv) << "</td><td>[" << fixed(c.mmrv_ci.low) << ", "
      << fixed(c.mmrv_ci.high) << "]</td><td>" << fixed(c.agreement) << "</td><td>" << fixed(c.kappa)
      << "</td></tr>\n";
  s << "</table>\n";
  for (const auto& c : r.scopes)
    for (const auto& n : c.notes)
      s << "<p class=\"note\">" << escape(c.scope) << ": " << escape(n) << "</p>\n";
  s << "<h2>Per policy</h2>\n" << bars(r);
  s << "<table "
       "id=\"points\"><tr><th>policy</th><th>task</th><th>episodes</th><th>physics</th><th>imagined</th>"
       "<th>both</th><th>physics only</th><th>imagined only</th><th>neither</th></tr>\n";
  for (const auto& p : r.points)
    s << "<tr><td>" << escape(p.policy) << "</td><td>" << escape(p.task) << "</td><td>" << p.paired
      << "</td><td>" << fixed(p.physics, 2) << " [" << fixed(p.physics_ci.low, 2) << ", "
      << fixed(p.physics_ci.high, 2) << "]</td><td>" << fixed(p.imagined, 2) << " ["
      << fixed(p.imagined_ci.low, 2) << ", " << fixed(p.imagined_ci.high, 2) << "]</td><td>"
      << p.confusion.both << "</td><td>" << p.confusion.physics_only << "</td><td>"
      << p.confusion.imagined_only << "</td><td>" << p.confusion.neither << "</td></tr>\n";
  s << "</table>\n";
  if (r.unpaired > 0)
    s << "<p>" << r.unpaired << " episodes have a record in one backend only and are not counted.</p>\n";
  s << "</body></html>\n";
  return s.str();
}

}  // namespace a2w::bench
