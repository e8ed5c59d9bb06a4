#include <a2w/env/progress.h>
#include <a2w/env/thread_pool.h>
#include <doctest/doctest.h>

#include <atomic>
#include <stdexcept>
#include <thread>
#include <vector>

#include "test_util.h"

using namespace a2w::env;

namespace {

std::string read_all(std::FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string s;
  char buf[256];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, f)) s.append(buf, n);
  return s;
}

}  // namespace

TEST_CASE("Progress off a terminal prints plain lines, the last one from finish()") {
  std::FILE* f = std::tmpfile();
  REQUIRE(f);
  {
    Progress p("collect", 10, f, 3600.0);  // an interval longer than the test: only finish() prints
    CHECK_FALSE(p.is_terminal());
    for (int i = 0; i < 10; ++i) p.advance();
    p.set_postfix("success 0.5");
    CHECK(p.count() == 10);
    CHECK(a2w::test::contains(p.line(), "10/10"));
    p.finish();
    p.finish();  // once only
  }
  const std::string out = read_all(f);
  std::fclose(f);
  CHECK(out.find('\r') == std::string::npos);
  CHECK(std::count(out.begin(), out.end(), '\n') == 1);
  CHECK(a2w::test::contains(out, "collect [########################] 10/10"));
  CHECK(a2w::test::contains(out, "success 0.5"));
}

TEST_CASE("Progress counts advances from many threads, unknown totals and silence work") {
  Progress p("steps", 0, nullptr);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&p] {
      for (int i = 0; i < 1000; ++i) p.advance();
    });
  for (auto& t : threads) t.join();
  CHECK(p.count() == 4000);
  CHECK(a2w::test::contains(p.line(), "steps 4000"));
  CHECK_FALSE(a2w::test::contains(p.line(), "ETA"));
}

TEST_CASE("ThreadPool runs index i on worker i % T, every call") {
  ThreadPool pool(3);
  CHECK(pool.size() == 3);
  std::vector<std::thread::id> first(9), second(9);
  pool.for_each_index(
      9, [&](std::int64_t i) { first[static_cast<std::size_t>(i)] = std::this_thread::get_id(); });
  pool.for_each_index(
      9, [&](std::int64_t i) { second[static_cast<std::size_t>(i)] = std::this_thread::get_id(); });
  CHECK(first == second);
  for (std::size_t i = 0; i < 9; ++i) {
    CHECK(first[i] == first[i % 3]);
    // Worker 0 is the calling thread; the others are pool threads.
    CHECK((first[i] == std::this_thread::get_id()) == (i % 3 == 0));
  }
  CHECK(first[0] != first[1]);

  // Every index runs even when some throw; the lowest index's exception comes out.
  std::atomic<int> ran{0};
  try {
    pool.for_each_index(9, [&](std::int64_t i) {
      ++ran;
      if (i == 4 || i == 7) throw std::runtime_error("index " + std::to_string(i));
    });
    FAIL("expected an exception");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()) == "index 4");
  }
  CHECK(ran == 9);

  ThreadPool inline_pool(1);
  std::thread::id id;
  inline_pool.for_each_index(1, [&](std::int64_t) { id = std::this_thread::get_id(); });
  CHECK(id == std::this_thread::get_id());
}
