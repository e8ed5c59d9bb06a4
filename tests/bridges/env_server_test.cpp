// EnvServer sessions in one process: RemoteEnv semantics, VectorEnv sessions in raw messages (batched obs,
// infos, masks, SAME_STEP final observations), session limits, and the Python RemotePolicy client.

#include "a2w/bridge/env_server.h"

#include <doctest/doctest.h>

#include "../env/counter_env.h"
#include "a2w/bridge/errors.h"
#include "a2w/bridge/policy_server.h"
#include "a2w/bridge/remote_env.h"
#include "a2w/env/vector_env.h"
#include "bridge_test_util.h"

using namespace a2w;
using bridge::Body;
using bridge::MessageType;

namespace {

bridge::EnvServerOptions local() {
  bridge::EnvServerOptions o;
  o.bind = "tcp://127.0.0.1:0";
  return o;
}

bridge::EnvFactory counters(int n, env::AutoresetMode mode) {
  return bridge::EnvFactory::of_vector([n, mode] {
    return std::make_unique<env::ThreadedVectorEnv>(
        [](int i) { return std::make_unique<test::CounterEnv>(i); }, env::VectorEnvOptions{n, 1, mode});
  });
}

}  // namespace

TEST_CASE("a RemoteEnv follows Gymnasium semantics across the wire") {
  bridge::EnvServer server(bridge::EnvFactory::of_env([] { return std::make_unique<test::CounterEnv>(); }),
                           local());
  server.start();
  bridge::RemoteEnv env({.endpoint = server.endpoint()});
  CHECK(env.spec().id == "test/Counter-v0");
  CHECK(env.spec().action_space->str() == env::box(-1, 1, {2})->str());
  // Seed 5: odd, so the episode ends terminated, after 2 + 5 % 3 = 4 steps.
  auto [obs, info] = env.reset(std::uint64_t{5});
  CHECK(obs.at("seed").as_array().item<std::int64_t>() == 5);
  int steps = 0;
  env::StepResult s;
  do {
    s = env.step(env::Array::from({0.5f, 0.0f}));
    ++steps;
  } while (!s.terminated && !s.truncated);
  CHECK(steps == 4);
  CHECK(s.terminated);
  CHECK(s.reward == doctest::Approx(4.5));
  try {
    env.step(env::Array::from({0.0f, 0.0f}));
    FAIL("expected a RemoteError");
  } catch (const bridge::RemoteError& e) {
    CHECK(e.code() == bridge::ErrorCode::kEnvError);
  }
  // A u64 seed above 2^63 crosses the wire intact.
  const std::uint64_t big = (std::uint64_t{1} << 63) | 5;
  CHECK(static_cast<std::uint64_t>(env.reset(big).info.at("reset_seed").as_int()) == big);
  env.close();
  env.close();  // twice is fine
}

TEST_CASE("a VectorEnv session answers batched observations, infos, masks and SAME_STEP final observations") {
  bridge::EnvServer server(counters(2, env::AutoresetMode::kSameStep), local());
  server.start();
  CHECK_THROWS_WITH_AS(bridge::RemoteEnv({.endpoint = server.endpoint()}),
                       doctest::Contains("serves a VectorEnv of 2 envs"), InvalidArgument);
  test::RawPeer peer(server.endpoint());
  peer.send({test::header(MessageType::kHello, 1), bridge::encode(Body{{"role", "env"}})});
  auto r = peer.receive();
  REQUIRE(r);
  CHECK(r->second.at("spec").as_dict().at("vector_env").as_bool());
  CHECK(r->second.at("spec").as_dict().at("num_envs").as_int() == 2);
  peer.send({test::header(MessageType::kReset, 2), bridge::encode(Body{{"seed", 0}})});
  r = peer.receive();
  REQUIRE(r);
  CHECK(r->second.at("obs").as_dict().at("last_action").as_array().shape() == env::Shape{2, 2});
  CHECK(r->second.at("infos").as_list().size() == 2);
  bool saw_final = false;
  for (int t = 0; t < 6 && !saw_final; ++t) {
    peer.send(
        {test::header(MessageType::kStep, 3 + t),
         bridge::encode(Body{{"action", env::Array(env::DType::kFloat64, {2, 2})}})});  // float64: converted
    r = peer.receive();
    REQUIRE(r);
    REQUIRE(r->first.type == MessageType::kStep);
    CHECK(r->second.at("reward").as_array().shape() == env::Shape{2});
    const auto& fo = r->second.at("final_obs").as_list();
    REQUIRE(fo.size() == 2);
    for (const auto& f : fo) saw_final = saw_final || f.is_dict();
  }
  CHECK(saw_final);
  peer.send({test::header(MessageType::kReset, 20),
             bridge::encode(Body{{"mask", env::Array::from({true, false})}, {"seeds", env::List{7, 0}}})});
  r = peer.receive();
  REQUIRE(r);
  CAPTURE(r->second.to_dict().count("message") ? r->second.at("message").as_string() : "");
  CHECK(r->second.at("obs").as_dict().at("seed").as_array().at_int(0) == 7);
}

TEST_CASE("an env server refuses sessions beyond its maximum, and frees a closed one") {
  auto o = local();
  o.max_sessions = 1;
  bridge::EnvServer server(bridge::EnvFactory::of_env([] { return std::make_unique<test::CounterEnv>(); }),
                           o);
  server.start();
  {
    bridge::RemoteEnv first({.endpoint = server.endpoint()});
    try {
      bridge::RemoteEnv second({.endpoint = server.endpoint()});
      FAIL("expected too_many_sessions");
    } catch (const bridge::RemoteError& e) {
      CHECK(e.code() == bridge::ErrorCode::kTooManySessions);
    }
  }  // closed
  for (int i = 0; i < 100 && server.stats().sessions > 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  bridge::RemoteEnv third({.endpoint = server.endpoint()});
  CHECK(third.reset().obs.count("t"));
}

TEST_CASE("the Python RemotePolicy and ActionChunkBroker call a C++ PolicyServer") {
  bridge::PolicyServerOptions o;
  o.bind = "tcp://127.0.0.1:0";
  o.spec.action_horizon = 10;
  bridge::PolicyServer server(std::make_shared<test::ZeroPolicy>(10), o);
  server.start();
  test::Child py({test::python(), test::source("tests/bridges/py_policy_client.py"), server.endpoint()},
                 test::python_env());
  const int code = py.finish();
  CAPTURE(py.output());
  CHECK(code == 0);
  CHECK(py.output().find("OK") != std::string::npos);
}
