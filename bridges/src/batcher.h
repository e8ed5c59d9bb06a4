#pragma once
// Internal: the inference worker of a PolicyServer, shared by its ZeroMQ and websocket front ends. Requests
// queue here; one worker thread runs the policy, so the I/O threads stay free to answer pings and read more
// requests while a policy thinks. With a shared (stateless) policy, queued requests of the same layout are
// concatenated into one act() call of up to max_batch rows; with one policy per session (a factory), each
// session's requests run on its own policy, in order.
//
// A quick policy may also run inline, on the I/O thread that received the request (run_inline): when the
// worker is idle and nothing is queued, handing the request to the worker only adds two thread wake-ups
// (tens of microseconds, milliseconds under load). Inline runs are allowed only while the policy's last 8
// calls each took under 2 ms and no call ever took 500 ms: a policy that thinks longer runs on the worker,
// so the I/O thread keeps answering pings while it thinks (clients give up after 2 s without a pong).

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "a2w/bridge/protocol.h"
#include "a2w/env/policy.h"

namespace a2w::bridge::detail {

using Clock = std::chrono::steady_clock;

struct InferResult {
  env::Array actions;  // [rows, ...] on success
  std::optional<ErrorCode> error;
  std::string message;
  double infer_ms = 0.0;
  std::int64_t batch_rows = 0;  // rows of the act() call this request was part of
};

struct InferJob {
  std::uint64_t session = 0;
  env::Dict obs;  // a batch
  std::int64_t rows = 0;
  std::string signature;
  Clock::time_point deadline = Clock::time_point::max();
  std::function<void(InferResult&&)> done;  // called on the worker thread
};

class Batcher {
 public:
  using Factory = std::function<std::unique_ptr<env::Policy>()>;

  Batcher(std::shared_ptr<env::Policy> shared, int max_batch, std::chrono::microseconds max_wait);
  Batcher(Factory per_session, int max_batch, std::chrono::microseconds max_wait);
  ~Batcher();  // stop()
  Batcher(const Batcher&) = delete;
  Batcher& operator=(const Batcher&) = delete;

  void infer(InferJob job);
  // Runs `jobs` (same signature, at most max_batch rows together) on the calling thread when the worker is
  // idle, nothing is queued and the policy has been quick; false (jobs untouched) otherwise.
  bool run_inline(std::vector<InferJob>& jobs);
  // `done` gets an empty string on success, else the error.
  void reset(std::uint64_t session, std::vector<bool> mask, std::vector<std::uint64_t> seeds,
             std::function<void(const std::string& error)> done);
  // Drops the session's policy (per-session mode).
  void end_session(std::uint64_t session);
  // Fails queued requests with shutting_down and joins the worker.
  void stop();

  bool per_session() const { return static_cast<bool>(factory_); }
  std::size_t queued() const;

 private:
  struct Control {
    enum Kind { kReset, kEnd } kind;
    std::uint64_t session;
    std::vector<bool> mask;
    std::vector<std::uint64_t> seeds;
    std::function<void(const std::string&)> done;
  };
  struct Job {
    std::optional<InferJob> infer;
    std::optional<Control> control;
    Clock::time_point queued_at;
  };

  void start();
  void loop();
  void run_control(Control& c);
  void run_infer(std::vector<InferJob>& jobs);
  env::Policy* policy_for(std::uint64_t session);

  std::shared_ptr<env::Policy> shared_;
  Factory factory_;
  std::map<std::uint64_t, std::unique_ptr<env::Policy>> sessions_;  // worker thread only
  int max_batch_;
  std::chrono::microseconds max_wait_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> queue_;
  bool stop_ = false;
  bool worker_busy_ = false;
  std::mutex run_mu_;  // held while any thread runs policy code: the policy is not thread safe
  std::atomic<int> quick_streak_{0};
  std::atomic<bool> ever_slow_{false};
  std::thread worker_;
};

}  // namespace a2w::bridge::detail
