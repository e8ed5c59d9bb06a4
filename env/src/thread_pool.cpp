#include "a2w/env/thread_pool.h"

#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace a2w::env {

struct ThreadPool::Impl {
  int size = 1;
  std::vector<std::thread> threads;

  std::mutex mutex;
  std::condition_variable work_ready;
  std::condition_variable work_done;
  const std::function<void(int)>* job = nullptr;  // valid while a run is in progress
  std::uint64_t generation = 0;                   // bumped per run; workers run each generation once
  int pending = 0;
  bool stop = false;
  std::vector<std::exception_ptr> errors;  // one slot per worker

  void worker_loop(int w) {
    std::uint64_t seen = 0;
    while (true) {
      const std::function<void(int)>* f = nullptr;
      {
        std::unique_lock lock(mutex);
        work_ready.wait(lock, [&] { return stop || generation != seen; });
        if (stop) return;
        seen = generation;
        f = job;
      }
      std::exception_ptr error;
      try {
        (*f)(w);
      } catch (...) {
        error = std::current_exception();
      }
      {
        std::lock_guard lock(mutex);
        errors[static_cast<std::size_t>(w)] = error;
        if (--pending == 0) work_done.notify_one();
      }
    }
  }
};

ThreadPool::ThreadPool(int num_threads) : impl_(std::make_unique<Impl>()) {
  impl_->size = num_threads > 1 ? num_threads : 1;
  impl_->errors.resize(static_cast<std::size_t>(impl_->size));
  if (num_threads > 1) {
    impl_->threads.reserve(static_cast<std::size_t>(num_threads));
    for (int w = 0; w < num_threads; ++w) impl_->threads.emplace_back([this, w] { impl_->worker_loop(w); });
  }
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stop = true;
  }
  impl_->work_ready.notify_all();
  for (auto& t : impl_->threads) t.join();
}

int ThreadPool::size() const {
  return impl_->size;
}

void ThreadPool::run_on_each(const std::function<void(int worker)>& f) {
  if (impl_->threads.empty()) {
    f(0);
    return;
  }
  {
    std::lock_guard lock(impl_->mutex);
    impl_->job = &f;
    impl_->pending = impl_->size;
    ++impl_->generation;
  }
  impl_->work_ready.notify_all();
  std::unique_lock lock(impl_->mutex);
  impl_->work_done.wait(lock, [&] { return impl_->pending == 0; });
  impl_->job = nullptr;
  for (auto& e : impl_->errors) {
    if (e) {
      std::exception_ptr first = e;
      for (auto& x : impl_->errors) x = nullptr;
      lock.unlock();
      std::rethrow_exception(first);
    }
  }
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
