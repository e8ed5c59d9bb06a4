#include "a2w/env/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <mutex>

namespace a2w::env {

namespace {

using Clock = std::chrono::steady_clock;

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const auto s = static_cast<std::int64_t>(seconds + 0.5);
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", static_cast<long long>(s / 3600),
                  static_cast<long long>(s / 60 % 60), static_cast<long long>(s % 60));
  else
    std::snprintf(buf, sizeof buf, "%lld:%02lld", static_cast<long long>(s / 60),
                  static_cast<long long>(s % 60));
  return buf;
}

std::string format_rate(double rate) {
  char buf[32];
  // Three significant figures at most: the rate is noisy, more digits only flicker.
  std::snprintf(buf, sizeof buf, rate >= 100 ? "%.0f/s" : rate >= 10 ? "%.1f/s" : "%.2f/s", rate);
  return buf;
}

}  // namespace

struct Progress::Impl {
  std::string label;
  std::int64_t total = 0;
  std::FILE* out = nullptr;
  double plain_interval_s = 5.0;
  bool terminal = false;

  mutable std::mutex mutex;
  std::int64_t count = 0;
  std::string postfix;
  Clock::time_point start = Clock::now();
  Clock::time_point last_draw = Clock::now();
  bool finished = false;

  std::string line_locked() const {
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    const double rate = elapsed > 0 ? static_cast<double>(count) / elapsed : 0.0;
    std::string s = label;
    if (total > 0) {
      constexpr int kWidth = 24;
      const double frac = std::min(1.0, static_cast<double>(count) / static_cast<double>(total));
      const int filled = static_cast<int>(frac * kWidth);
      // Appended piece by piece: GCC 12 warns falsely (-Wrestrict) on chains of temporary strings here.
      s += " [";
      s.append(static_cast<std::size_t>(filled), '#');
      s.append(static_cast<std::size_t>(kWidth - filled), '-');
      s += "] ";
      s += std::to_string(count);
      s += '/';
      s += std::to_string(total);
    } else {
      s += ' ';
      s += std::to_string(count);
    }
    s += "  " + format_rate(rate);
    if (total > 0 && !finished) {
      const double eta = rate > 0 ? static_cast<double>(total - count) / rate : NAN;
      s += "  ETA " + format_duration(eta);
    } else {
      s += "  " + format_duration(elapsed);
    }
    if (!postfix.empty()) s += "  " + postfix;
    return s;
  }

  void draw_locked(bool force) {
    if (!out) return;
    const Clock::time_point now = Clock::now();
    const double since = std::chrono::duration<double>(now - last_draw).count();
    if (terminal) {
      if (!force && since < 0.1) return;
      const std::string s = line_locked();
      // \r and "erase to end of line" redraw in place; a shorter line leaves no tail of the longer one.
      std::fprintf(out, "\r%s\033[K", s.c_str());
      if (finished) std::fputc('\n', out);
    } else {
      if (!force && since < plain_interval_s) return;
      std::fprintf(out, "%s\n", line_locked().c_str());
    }
    std::fflush(out);
    last_draw = now;
  }
};

Progress::Progress(std::string label, std::int64_t total, std::FILE* out, double plain_interval_s)
    : impl_(std::make_unique<Impl>()) {
  impl_->label = std::move(label);
  impl_->total = total;
  impl_->out = out;
  impl_->plain_interval_s = plain_interval_s;
  impl_->terminal = out != nullptr && isatty(fileno(out)) == 1;
  std::lock_guard lock(impl_->mutex);
  if (impl_->terminal) impl_->draw_locked(true);
}

Progress::~Progress() {
  try {
    finish();
  } catch (...) {
    // Writing to a closed stream must not throw from a destructor.
  }
}

void Progress::advance(std::int64_t n) {
  std::lock_guard lock(impl_->mutex);
  if (impl_->finished) return;
  impl_->count += n;
  impl_->draw_locked(false);
}

void Progress::set_postfix(std::string postfix) {
  std::lock_guard lock(impl_->mutex);
  impl_->postfix = std::move(postfix);
}

void Progress::finish() {
  std::lock_guard lock(impl_->mutex);
  if (impl_->finished) return;
  impl_->finished = true;
  impl_->draw_locked(true);
}

std::int64_t Progress::count() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->count;
}

std::int64_t Progress::total() const {
  return impl_->total;
}
bool Progress::is_terminal() const {
  return impl_->terminal;
}

std::string Progress::line() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->line_locked();
}

}  // namespace a2w::env
