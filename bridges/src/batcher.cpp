#include "batcher.h"

#include "a2w/bridge/shadow_policy.h"
#include "batching.h"

namespace a2w::bridge::detail {

Batcher::Batcher(std::shared_ptr<env::Policy> shared, int max_batch, std::chrono::microseconds max_wait)
    : shared_(std::move(shared)), max_batch_(std::max(1, max_batch)), max_wait_(max_wait) {
  if (!shared_) throw InvalidArgument("PolicyServer: expected a policy, got null");
  start();
}

Batcher::Batcher(Factory per_session, int max_batch, std::chrono::microseconds max_wait)
    : factory_(std::move(per_session)), max_batch_(std::max(1, max_batch)), max_wait_(max_wait) {
  if (!factory_) throw InvalidArgument("PolicyServer: expected a policy factory, got an empty function");
  start();
}

Batcher::~Batcher() {
  stop();
}

void Batcher::start() {
  worker_ = std::thread([this] { loop(); });
}

void Batcher::infer(InferJob job) {
  {
    std::lock_guard lock(mu_);
    if (!stop_) {
      queue_.push_back(Job{std::move(job), std::nullopt, Clock::now()});
      cv_.notify_one();
      return;
    }
  }
  InferResult r;
  r.error = ErrorCode::kShuttingDown;
  r.message = "the policy server is shutting down";
  job.done(std::move(r));
}

bool Batcher::run_inline(std::vector<InferJob>& jobs) {
  if (ever_slow_ || quick_streak_ < 8 || jobs.empty()) return false;
  {
    std::lock_guard lock(mu_);
    if (stop_ || worker_busy_ || !queue_.empty()) return false;
  }
  std::unique_lock run(run_mu_, std::try_to_lock);
  if (!run) return false;
  run_infer(jobs);
  return true;
}

void Batcher::reset(std::uint64_t session, std::vector<bool> mask, std::vector<std::uint64_t> seeds,
                    std::function<void(const std::string&)> done) {
  {
    std::lock_guard lock(mu_);
    if (!stop_) {
      queue_.push_back(Job{
          std::nullopt, Control{Control::kReset, session, std::move(mask), std::move(seeds), std::move(done)},
          Clock::now()});
      cv_.notify_one();
      return;
    }
  }
  done("the policy server is shutting down");
}

void Batcher::end_session(std::uint64_t session) {
  if (!per_session()) return;
  std::lock_guard lock(mu_);
  if (stop_) return;
  queue_.push_back(Job{std::nullopt, Control{Control::kEnd, session, {}, {}, nullptr}, Clock::now()});
  cv_.notify_one();
}

std::size_t Batcher::queued() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

void Batcher::stop() {
  std::deque<Job> left;
  {
    std::lock_guard lock(mu_);
    if (stop_ && !worker_.joinable()) return;
    stop_ = true;
    cv_.notify_all();
  }
  if (worker_.joinable()) worker_.join();
  {
    std::lock_guard lock(mu_);
    left.swap(queue_);
  }
  for (auto& j : left) {
    if (j.infer) {
      InferResult r;
      r.error = ErrorCode::kShuttingDown;
      r.message = "the policy server is shutting down";
      j.infer->done(std::move(r));
    } else if (j.control && j.control->done) {
      j.control->done("the policy server is shutting down");
    }
  }
  sessions_.clear();
}

env::Policy* Batcher::policy_for(std::uint64_t session) {
  if (shared_) return shared_.get();
  auto it = sessions_.find(session);
  if (it == sessions_.end()) it = sessions_.emplace(session, factory_()).first;
  return it->second.get();
}

void Batcher::run_control(Control& c) {
  std::string error;
  try {
    if (c.kind == Control::kEnd) {
      sessions_.erase(c.session);
      return;
    }
    // A shared policy serves many clients whose rows do not line up with its own: it must be stateless, so
    // a client's reset has nothing to reset.
    if (!shared_) {
      env::Policy* p = policy_for(c.session);
      if (c.seeds.size() == c.mask.size())
        p->reset(c.mask, c.seeds);
      else
        p->reset(c.mask);
    }
  } catch (const std::exception& e) {
    error = e.what();
  }
  if (c.done) c.done(error);
}

void Batcher::run_infer(std::vector<InferJob>& jobs) {
  const auto now = Clock::now();
  std::vector<InferJob> live;
  for (auto& j : jobs) {
    if (j.deadline < now) {
      InferResult r;
      r.error = ErrorCode::kDeadlineExceeded;
      r.message = "the request's deadline passed while it waited for the policy";
      j.done(std::move(r));
    } else {
      live.push_back(std::move(j));
    }
  }
  if (live.empty()) return;
  std::vector<const env::Dict*> parts;
  std::int64_t rows = 0;
  for (const auto& j : live) {
    parts.push_back(&j.obs);
    rows += j.rows;
  }
  auto fail_all = [&](ErrorCode code, const std::string& message) {
    for (auto& j : live) {
      InferResult r;
      r.error = code;
      r.message = message;
      j.done(std::move(r));
    }
  };
  env::Array actions;
  const auto t0 = Clock::now();
  try {
    env::Policy* policy = policy_for(live.front().session);
    const env::Dict batch = concat(parts);
    actions = policy->act(batch);
  } catch (const std::exception& e) {
    if (live.size() > 1) {
      // One bad request must not fail its neighbours: run each on its own to find out whose it was.
      for (auto& j : live) {
        std::vector<InferJob> one;
        one.push_back(std::move(j));
        run_infer(one);
      }
      return;
    }
    return fail_all(ErrorCode::kPolicyError, std::string("the policy failed: ") + e.what());
  }
  const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  if (ms >= 500.0) ever_slow_ = true;
  quick_streak_ = ms < 2.0 ? quick_streak_ + 1 : 0;
  if (!actions.valid() || actions.ndim() < 1 || actions.dim(0) != rows)
    return fail_all(ErrorCode::kPolicyError, "the policy returned " + env::describe(actions) +
                                                 "; expected actions with a leading dimension of " +
                                                 std::to_string(rows) + " rows");
  std::int64_t offset = 0;
  for (auto& j : live) {
    InferResult r;
    r.actions = actions.rows(offset, offset + j.rows);
    r.infer_ms = ms;
    r.batch_rows = rows;
    offset += j.rows;
    j.done(std::move(r));
  }
}

void Batcher::loop() {
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (stop_) return;
    if (queue_.front().control) {
      Control c = std::move(*queue_.front().control);
      queue_.pop_front();
      worker_busy_ = true;
      lock.unlock();
      {
        std::lock_guard run(run_mu_);
        run_control(c);
      }
      lock.lock();
      worker_busy_ = false;
      continue;
    }
    // Gather requests that can share this act() call.
    const std::string sig = queue_.front().infer->signature;
    auto compatible_rows = [&] {
      std::int64_t rows = 0;
      for (const auto& j : queue_)
        if (j.infer && j.infer->signature == sig) rows += j.infer->rows;
      return rows;
    };
    if (shared_ && max_wait_.count() > 0) {
      const auto until = queue_.front().queued_at + max_wait_;
      cv_.wait_until(lock, until, [&] { return stop_ || compatible_rows() >= max_batch_; });
      if (stop_) return;
    }
    std::vector<InferJob> jobs;
    std::int64_t rows = 0;
    jobs.push_back(std::move(*queue_.front().infer));
    rows += jobs.back().rows;
    queue_.pop_front();
    if (shared_) {
      for (auto it = queue_.begin(); it != queue_.end() && rows < max_batch_;) {
        if (it->infer && it->infer->signature == sig && rows + it->infer->rows <= max_batch_) {
          rows += it->infer->rows;
          jobs.push_back(std::move(*it->infer));
          it = queue_.erase(it);
        } else {
          ++it;
        }
      }
    }
    worker_busy_ = true;
    lock.unlock();
    {
      std::lock_guard run(run_mu_);
      run_infer(jobs);
    }
    lock.lock();
    worker_busy_ = false;
  }
}

}  // namespace a2w::bridge::detail
