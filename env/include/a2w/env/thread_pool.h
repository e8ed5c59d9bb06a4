#pragma once
// ThreadPool: a fixed set of worker threads with static assignment. for_each_index(n, f) runs f(i) for every
// i in [0, n) and always runs index i on worker i % size(), call after call. VectorEnv relies on that: an env
// may own thread-bound resources (an OpenGL/EGL context is current on one thread only), so env i must be
// reset, stepped and closed on the same thread for its whole life. With one thread nothing is spawned and
// everything runs on the calling thread. Worker 0 is always the calling thread (it does its share instead
// of waiting), so use a pool, and the VectorEnv over it, from one thread.
//
// Workers spin briefly for the next call before they sleep: short steps pay no kernel wake-up.
//
//   ThreadPool pool(4);
//   pool.for_each_index(envs.size(), [&](std::int64_t i) { envs[i]->step(actions.row(i)); });

#include <cstdint>
#include <functional>
#include <memory>

namespace a2w::env {

class ThreadPool {
 public:
  // num_threads <= 1: no worker threads; work runs on the calling thread.
  explicit ThreadPool(int num_threads);
  ~ThreadPool();  // joins the workers
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // Number of workers (1 when work runs on the calling thread).
  int size() const;

  // Calls f(w) once on each worker w in [0, size()) and waits for all of them. If some throw, the exception
  // of the lowest w is rethrown after every worker finished. Not reentrant: f must not call the pool.
  void run_on_each(const std::function<void(int worker)>& f);

  // Calls f(i) for i in [0, n) with i on worker i % size(), in increasing i on each worker, and waits. If
  // some throw, the exception of the lowest i is rethrown after all indices ran (an index that throws does
  // not stop the others, so every env of a batch ends each call in a known state).
  void for_each_index(std::int64_t n, const std::function<void(std::int64_t i)>& f);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace a2w::env
