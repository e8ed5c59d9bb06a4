#pragma once
// Progress: a progress report for long work (episodes, training steps, dataset conversion).
//
//   Progress progress("collect", episodes);
//   for (...) { ...; progress.set_postfix("success 0.62"); progress.advance(); }
//   progress.finish();
//
// On a terminal it redraws one line in place (at most 10 times a second):
//   collect [##########--------------]  42/100  3.1/s  ETA 0:18  success 0.62
// Elsewhere (a log file, CI) it prints plain lines, at most one every `plain_interval_s` seconds, and a
// last one from finish(), so logs stay short. Thread safe: workers may call advance() concurrently.

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

namespace a2w::env {

class Progress {
 public:
  // total <= 0: unknown total (count and rate, no bar or ETA). out: the stream to write to (stderr by
  // default; nullptr: silent). Terminal or not is decided once, by isatty on `out`.
  Progress(std::string label, std::int64_t total, std::FILE* out = stderr, double plain_interval_s = 5.0);
  ~Progress();  // calls finish() when it was not called
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void advance(std::int64_t n = 1);
  // Free text shown after the figures, e.g. "loss 0.12".
  void set_postfix(std::string postfix);
  // Draws the final state and ends the line. Later calls do nothing.
  void finish();

  std::int64_t count() const;
  std::int64_t total() const;
  bool is_terminal() const;
  // The current report line, without control characters (what a plain line shows).
  std::string line() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace a2w::env
