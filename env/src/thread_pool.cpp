#include "a2w/env/thread_pool.h"

#include <atomic>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define A2W_CPU_RELAX() _mm_pause()
#else
#define A2W_CPU_RELAX() std::this_thread::yield()
#endif

namespace a2w::env {

// Why spin: a VectorEnv step is short (0.3 ms of physics per env here) and the condition-variable round
// trip through the kernel costs tens of microseconds per wake, twice per step, which cost a third of the
// 2-thread speed-up on a 2-core machine. Workers spin briefly on an atomic generation counter before they
// sleep, and the calling thread does worker 0's share itself instead of sleeping, so a step with T threads
// occupies exactly T threads. Sleeping is still the fallback, so an idle VectorEnv costs no CPU.
namespace {
constexpr int kSpinIterations = 20000;  // ~0.1-0.5 ms of pause instructions
}

struct ThreadPool::Impl {
  int size = 1;
  std::vector<std::thread> threads;  // workers 1 .. size-1; worker 0 is the calling thread

  std::atomic<std::uint64_t> generation{0};  // bumped per run; workers run each generation once
  std::atomic<int> pending{0};               // workers (excluding 0) still running this generation
  std::atomic<bool> stop{false};
  const std::function<void(int)>* job = nullptr;  // written before generation is bumped
  std::vector<std::exception_ptr> errors;         // one slot per worker

  std::mutex mutex;
  std::condition_variable work_ready;  // sleeping workers
  std::condition_variable work_done;   // a sleeping caller
  int sleeping_workers = 0;
  bool caller_sleeping = false;

  void worker_loop(int w) {
    std::uint64_t seen = 0;
    while (true) {
      std::uint64_t g = generation.load(std::memory_order_acquire);
      for (int spin = 0; g == seen && !stop.load(std::memory_order_relaxed) && spin < kSpinIterations; ++spin) {
        A2W_CPU_RELAX();
        g = generation.load(std::memory_order_acquire);
      }
      if (g == seen && !stop.load(std::memory_order_relaxed)) {
        std::unique_lock lock(mutex);
        ++sleeping_workers;
        work_ready.wait(lock, [&] {
          return stop.load(std::memory_order_relaxed) || generation.load(std::memory_order_acquire) != seen;
        });
        --sleeping_workers;
        g = generation.load(std::memory_order_acquire);
      }
      if (stop.load(std::memory_order_relaxed)) return;
      seen = g;
      try {
        (*job)(w);
      } catch (...) {
        errors[static_cast<std::size_t>(w)] = std::current_exception();
      }
      if (pending.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        std::lock_guard lock(mutex);
        if (caller_sleeping) work_done.notify_one();
      }
    }
  }
};

ThreadPool::ThreadPool(int num_threads) : impl_(std::make_unique<Impl>()) {
  impl_->size = num_threads > 1 ? num_threads : 1;
  impl_->errors.resize(static_cast<std::size_t>(impl_->size));
  impl_->threads.reserve(static_cast<std::size_t>(impl_->size - 1));
  for (int w = 1; w < impl_->size; ++w) impl_->threads.emplace_back([this, w] { impl_->worker_loop(w); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stop.store(true);
  }
  impl_->work_ready.notify_all();
  for (auto& t : impl_->threads) t.join();
}

int ThreadPool::size() const {
  return impl_->size;
}

void ThreadPool::run_on_each(const std::function<void(int worker)>& f) {
  Impl& m = *impl_;
  if (m.threads.empty()) {
    f(0);
    return;
  }
  m.job = &f;
  m.pending.store(m.size - 1, std::memory_order_relaxed);
  {
    // Under the mutex so a worker between its last spin and its wait cannot miss the bump.
    std::lock_guard lock(m.mutex);
    m.generation.fetch_add(1, std::memory_order_acq_rel);
    if (m.sleeping_workers > 0) m.work_ready.notify_all();
  }
  try {
    f(0);
  } catch (...) {
    m.errors[0] = std::current_exception();
  }
  for (int spin = 0; m.pending.load(std::memory_order_acquire) != 0 && spin < kSpinIterations; ++spin)
    A2W_CPU_RELAX();
  if (m.pending.load(std::memory_order_acquire) != 0) {
    std::unique_lock lock(m.mutex);
    m.caller_sleeping = true;
    m.work_done.wait(lock, [&] { return m.pending.load(std::memory_order_acquire) == 0; });
    m.caller_sleeping = false;
  }
  m.job = nullptr;
  std::exception_ptr first;
  for (auto& e : m.errors) {
    if (e && !first) first = e;
    e = nullptr;
  }
  if (first) std::rethrow_exception(first);
}

void ThreadPool::for_each_index(std::int64_t n, const std::function<void(std::int64_t i)>& f) {
  if (n <= 0) return;
  std::vector<std::exception_ptr> errors(static_cast<std::size_t>(n));
  const int t = size();
  run_on_each([&](int w) {
    for (std::int64_t i = w; i < n; i += t) {
      try {
        f(i);
      } catch (...) {
        errors[static_cast<std::size_t>(i)] = std::current_exception();
      }
    }
  });
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

}  // namespace a2w::env
