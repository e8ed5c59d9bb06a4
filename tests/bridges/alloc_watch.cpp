#include "alloc_watch.h"

#include <atomic>
#include <cerrno>
#include <cstdint>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define A2W_WATCH_ALLOC 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#define A2W_WATCH_ALLOC 0
#endif
#endif
#ifndef A2W_WATCH_ALLOC
#define A2W_WATCH_ALLOC 1
#endif

namespace {
std::atomic<std::size_t> g_largest{0};
[[maybe_unused]] void note(std::size_t n) {
  std::size_t m = g_largest.load(std::memory_order_relaxed);
  while (n > m && !g_largest.compare_exchange_weak(m, n, std::memory_order_relaxed)) {
  }
}
}  // namespace

namespace a2w::test {
bool allocation_watch_active() {
  return A2W_WATCH_ALLOC;
}
void reset_largest_allocation() {
  g_largest = 0;
}
std::size_t largest_allocation() {
  return g_largest;
}
}  // namespace a2w::test

#if A2W_WATCH_ALLOC
// glibc's own entry points, which the replacements forward to.
extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* __libc_memalign(std::size_t, std::size_t);

void* malloc(std::size_t n) {
  note(n);
  return __libc_malloc(n);
}
void* calloc(std::size_t n, std::size_t s) {
  std::size_t total = 0;
  note(__builtin_mul_overflow(n, s, &total) ? SIZE_MAX : total);
  return __libc_calloc(n, s);
}
void* realloc(void* p, std::size_t n) {
  note(n);
  return __libc_realloc(p, n);
}
void* memalign(std::size_t a, std::size_t n) {
  note(n);
  return __libc_memalign(a, n);
}
void* aligned_alloc(std::size_t a, std::size_t n) {
  note(n);
  return __libc_memalign(a, n);
}
int posix_memalign(void** p, std::size_t a, std::size_t n) {
  note(n);
  *p = __libc_memalign(a, n);
  return *p ? 0 : ENOMEM;
}
}
#endif
