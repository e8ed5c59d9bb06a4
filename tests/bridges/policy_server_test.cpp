// PolicyServer and RemotePolicy in one process over loopback TCP: hello and spec, batched and single
// requests, batching across clients, per-session policies, errors that name their cause.

#include "a2w/bridge/policy_server.h"

#include <doctest/doctest.h>

#include <thread>

#include "a2w/bridge/errors.h"
#include "a2w/bridge/remote_policy.h"
#include "a2w/bridge/remote_rollout.h"
#include "a2w/env/vector_env.h"
#include "bridge_test_util.h"

using namespace a2w;
using bridge::Body;
using bridge::MessageType;

namespace {

bridge::PolicyServerOptions local_options() {
  bridge::PolicyServerOptions o;
  o.bind = "tcp://127.0.0.1:0";
  o.spec.env.id = "test/Zero-v0";
  o.spec.env.action_space = env::box(-1, 1, {7});
  o.spec.env.observation_space = env::dict({{"state", env::box(-10, 10, {3})}});
  o.spec.action_horizon = 10;
  o.metadata = env::Dict{{"note", "zero"}};
  return o;
}

env::Dict batch_obs(int b) {
  return env::Dict{{"state", env::Array(env::DType::kFloat32, {b, 3})}};
}

}  // namespace

TEST_CASE("a RemotePolicy gets the server's spec at hello and batched actions from act()") {
  auto policy = std::make_shared<test::ZeroPolicy>(10);
  bridge::PolicyServer server(policy, local_options());
  server.start();
  bridge::RemotePolicy remote({.endpoint = server.endpoint()});
  CHECK(remote.spec().env.id == "test/Zero-v0");
  CHECK(remote.spec().action_horizon == 10);
  CHECK(remote.spec().env.action_space->str() == env::box(-1, 1, {7})->str());
  CHECK(remote.metadata().at("note").as_string() == "zero");
  const env::Array a = remote.act(batch_obs(3));
  CHECK(a.shape() == env::Shape{3, 10, 7});
  CHECK(a.dtype() == env::DType::kFloat32);
  remote.reset({true, false, true});
  CHECK(policy->calls == 1);
}

TEST_CASE("replan keeps the first actions of each chunk") {
  bridge::PolicyServer server(std::make_shared<test::ZeroPolicy>(10), local_options());
  server.start();
  bridge::RemotePolicy remote({.endpoint = server.endpoint(), .replan = 5});
  CHECK(remote.act(batch_obs(2)).shape() == env::Shape{2, 5, 7});
}

TEST_CASE("an unbatched (OpenPI-style) request returns actions [H, D]") {
  bridge::PolicyServer server(std::make_shared<test::ZeroPolicy>(0), local_options());
  server.start();
  test::RawPeer peer(server.endpoint());
  peer.send({test::header(MessageType::kInfer, 5),
             bridge::encode(Body{{"state", env::Array(env::DType::kFloat32, {3})}, {"prompt", "hi"}})});
  auto r = peer.receive();
  REQUIRE(r);
  CHECK(r->first.type == MessageType::kInfer);
  CHECK(r->first.id == 5);
  CHECK(r->second.at("actions").as_array().shape() == env::Shape{1, 7});
  CHECK(r->second.at("server_timing").as_dict().count("infer_ms"));
}

TEST_CASE("concurrent clients are batched into shared act() calls and each gets its own rows") {
  auto policy = std::make_shared<test::ZeroPolicy>(0);
  auto o = local_options();
  o.max_wait_ms = 50;  // make the batching certain on a loaded machine
  o.max_batch = 64;
  bridge::PolicyServer server(policy, o);
  server.start();
  constexpr int kClients = 4, kRequests = 5;
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int c = 0; c < kClients; ++c)
    threads.emplace_back([&, c] {
      bridge::RemotePolicy remote({.endpoint = server.endpoint()});
      for (int i = 0; i < kRequests; ++i)
        if (remote.act(batch_obs(c + 1)).shape() == env::Shape{c + 1, 7}) ++ok;
    });
  for (auto& t : threads) t.join();
  CHECK(ok == kClients * kRequests);
  CHECK(policy->rows == (1 + 2 + 3 + 4) * kRequests);
  CHECK(policy->calls < kClients * kRequests);  // some calls served several clients
}

TEST_CASE("a policy that throws gives the client a RemoteError naming the reason, and the server goes on") {
  bridge::PolicyServer server(std::make_shared<test::ZeroPolicy>(0), local_options());
  server.start();
  bridge::RemotePolicy remote({.endpoint = server.endpoint()});
  env::Dict bad = batch_obs(2);
  bad["boom"] = env::Array(env::DType::kFloat32, {2});
  try {
    remote.act(bad);
    FAIL("expected a RemoteError");
  } catch (const bridge::RemoteError& e) {
    CHECK(e.code() == bridge::ErrorCode::kPolicyError);
    CHECK(std::string(e.what()).find("boom requested") != std::string::npos);
  }
  CHECK(remote.act(batch_obs(2)).shape() == env::Shape{2, 7});
}

TEST_CASE("per-session policies: each client gets its own, and its resets reach it") {
  struct Counting final : env::Policy {
    std::string name() const override { return "counting"; }
    env::Array act(const env::Dict&) override {
      env::Array a(env::DType::kFloat32, {1, 7});
      a.data<float>()[0] = static_cast<float>(++n);
      return a;
    }
    void reset(const std::vector<bool>&) override { n = 100; }
    int n = 0;
  };
  std::atomic<int> made{0};
  bridge::PolicyServer server(
      [&]() -> std::unique_ptr<env::Policy> {
        ++made;
        return std::make_unique<Counting>();
      },
      local_options());
  server.start();
  bridge::RemotePolicy a({.endpoint = server.endpoint()});
  bridge::RemotePolicy b({.endpoint = server.endpoint()});
  CHECK(a.act(batch_obs(1)).data<float>()[0] == 1.0f);
  CHECK(a.act(batch_obs(1)).data<float>()[0] == 2.0f);
  CHECK(b.act(batch_obs(1)).data<float>()[0] == 1.0f);
  a.reset({true});
  CHECK(a.act(batch_obs(1)).data<float>()[0] == 101.0f);
  CHECK(made == 2);
}

TEST_CASE("a client fails with a clear reason when nobody listens") {
  try {
    bridge::RemotePolicy remote({.endpoint = "tcp://127.0.0.1:1", .connect_timeout_s = 0.3});
    FAIL("expected Unavailable");
  } catch (const bridge::Unavailable& e) {
    CHECK(std::string(e.what()).find("could not reach the policy server at tcp://127.0.0.1:1") !=
          std::string::npos);
  }
}

TEST_CASE(
    "a client fails with Unavailable when the server stops mid-request, and with DeadlineExceeded when "
    "slow") {
  struct Slow final : env::Policy {
    std::string name() const override { return "slow"; }
    env::Array act(const env::Dict&) override {
      std::this_thread::sleep_for(std::chrono::milliseconds(600));
      return env::Array(env::DType::kFloat32, {1, 7});
    }
  };
  auto server = std::make_unique<bridge::PolicyServer>(std::make_shared<Slow>(), local_options());
  server->start();
  {
    bridge::RemotePolicy remote({.endpoint = server->endpoint(), .deadline_s = 0.2});
    CHECK_THROWS_AS(remote.act(batch_obs(1)), bridge::DeadlineExceeded);
  }
  bridge::RemotePolicy remote({.endpoint = server->endpoint(), .peer_timeout_s = 0.5});
  std::thread killer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    server.reset();  // the server goes away while the request is being served
  });
  CHECK_THROWS_AS(remote.act(batch_obs(1)), bridge::Unavailable);
  killer.join();
}

TEST_CASE("bridge::rollout fails episodes for the policy's failures only: an env's failure propagates") {
  bridge::PolicyServer server(std::make_shared<test::ZeroPolicy>(0), local_options());
  server.start();
  struct Broken final : env::Env {
    env::EnvSpec s{"test/Broken-v0", env::dict({{"state", env::box(-10, 10, {3})}}), env::box(-1, 1, {7})};
    const env::EnvSpec& spec() const override { return s; }
    env::ResetResult reset(std::optional<std::uint64_t>, const env::Dict&) override {
      throw bridge::RemoteError(bridge::ErrorCode::kEnvError, "the env's own server failed");
    }
    env::StepResult step(const env::Array&) override { return {}; }
  };
  env::ThreadedVectorEnv envs([](int) { return std::make_unique<Broken>(); },
                              {1, 1, env::AutoresetMode::kDisabled});
  bridge::RemotePolicy policy(
      {.endpoint = server.endpoint(), .on_failure = bridge::OnPolicyFailure::kContinue});
  CHECK_THROWS_WITH_AS(bridge::rollout(envs, policy, {.episodes = 2}),
                       doctest::Contains("the env's own server failed"), bridge::RemoteError);
}
