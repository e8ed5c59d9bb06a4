#include <a2w/env/registry.h>
#include <doctest/doctest.h>

#include <thread>

#include "counter_env.h"
#include "test_util.h"

using namespace a2w::env;
using a2w::test::CounterEnv;
using a2w::test::message_of;

namespace {

void register_test_envs() {
  for (const char* id : {"regtest/LiftCube-v0", "regtest/PushCube-v0", "regtest/StackCubes-v0"}) {
    a2w::register_env({id, "a counter", [](const Dict& options) {
                         return std::make_unique<CounterEnv>(0, get_or(options, "length", 0));
                       }});
  }
}

}  // namespace

TEST_CASE("registry: make, ids, and close matches for unknown ids") {
  register_test_envs();
  CHECK(a2w::is_registered("regtest/LiftCube-v0"));
  CHECK_FALSE(a2w::is_registered("regtest/LiftCube-v1"));
  EnvPtr env = a2w::make("regtest/PushCube-v0", Dict{{"length", 2}});
  env->reset(1);
  env->step(Array::from({0.0f, 0.0f}));
  CHECK(env->step(Array::from({0.0f, 0.0f})).terminated);  // the option reached the factory
  CHECK(a2w::registration("regtest/StackCubes-v0").description == "a counter");

  const auto ids = a2w::registered_ids();
  CHECK(std::is_sorted(ids.begin(), ids.end()));

  const std::string msg = message_of<a2w::NotFound>([] { a2w::make("regtest/LiftCub-v0"); });
  CHECK(a2w::test::contains(msg, "unknown env id 'regtest/LiftCub-v0'; did you mean: regtest/LiftCube-v0, "));
  CHECK(msg.back() == '?');
  CHECK(a2w::close_matches("REGTEST/liftcube-v0", 1) == std::vector<std::string>{"regtest/LiftCube-v0"});
  CHECK(a2w::close_matches("regtest/PushCub-v0", 2)[0] == "regtest/PushCube-v0");
  CHECK_THROWS_AS(a2w::registration("regtest/Nope-v0"), a2w::NotFound);
  CHECK_THROWS_AS(a2w::register_env({"regtest/Empty-v0", "", nullptr}), a2w::InvalidArgument);
}

TEST_CASE("registry is safe to use from several threads, and factories may call make()") {
  a2w::register_env({"regtest/Inner-v0", "", [](const Dict&) { return std::make_unique<CounterEnv>(); }});
  a2w::register_env({"regtest/Outer-v0", "", [](const Dict&) { return a2w::make("regtest/Inner-v0"); }});
  std::vector<std::thread> threads;
  std::atomic<int> made{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t, &made] {
      for (int i = 0; i < 50; ++i) {
        a2w::register_env({"regtest/Thread" + std::to_string(t) + "-v" + std::to_string(i % 5), "",
                           [](const Dict&) { return std::make_unique<CounterEnv>(); }});
        if (a2w::make("regtest/Outer-v0")) ++made;
        (void)a2w::close_matches("regtest/Thread-v0");
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(made == 200);
  CHECK(a2w::is_registered("regtest/Thread3-v4"));
}
