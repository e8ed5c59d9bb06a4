// Real Python peers on loopback (Debian's /usr/bin/python3 with python3-zmq, -msgpack, -numpy): byte
// compatibility with openpi's encoder, the Python client stepping a C++ EnvServer, a Python serve_policy
// driving a C++ rollout, and what happens when that policy server is killed mid-episode.

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "a2w/bridge/codec.h"
#include "a2w/bridge/env_server.h"
#include "a2w/bridge/errors.h"
#include "a2w/bridge/remote_policy.h"
#include "a2w/bridge/remote_rollout.h"
#include "a2w/env/registry.h"
#include "a2w/env/vector_env.h"
#include "a2w/tasks/tasks.h"
#include "bridge_test_util.h"

using namespace a2w;
namespace fs = std::filesystem;

namespace {

std::string read_file(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

fs::path temp_file(const std::string& name) {
  return fs::temp_directory_path() / ("a2w_bridge_test_" + std::to_string(getpid()) + "_" + name);
}

// LiftCube without cameras, cut at `horizon` steps: fast, and every episode ends.
const env::Dict kStateOnly{{"render", false}, {"horizon", 10}};

std::unique_ptr<env::VectorEnv> lift_cube(int n) {
  tasks::register_tasks();
  return std::make_unique<env::ThreadedVectorEnv>(
      [](int) { return a2w::make("a2w/LiftCube-v0", kStateOnly); },
      env::VectorEnvOptions{n, 1, env::AutoresetMode::kDisabled});
}

// Starts py_policy_server.py on `address` and returns it once it listens; `endpoint` gets where.
std::unique_ptr<test::Child> python_policy_server(const std::string& address, std::string& endpoint) {
  auto child = std::make_unique<test::Child>(
      std::vector<std::string>{test::python(), test::source("tests/bridges/py_policy_server.py"), address},
      test::python_env());
  const auto line = child->wait_for_line("serving policy on");
  REQUIRE_MESSAGE(line, "the Python policy server did not start:\n" << child->output());
  endpoint = test::word_after(*line, "serving policy on ");
  return child;
}

}  // namespace

TEST_CASE("a body packed by openpi's msgpack_numpy decodes in C++ and re-encodes byte for byte") {
  const fs::path in = temp_file("openpi.bin"), out = temp_file("a2w.bin");
  {
    test::Child py({test::python(), test::source("tests/bridges/openpi_pack.py"), "pack", in.string()},
                   test::python_env());
    REQUIRE_MESSAGE(py.finish() == 0, py.output());
  }
  const std::string bytes = read_file(in);
  const bridge::Body body = bridge::decode(bytes);
  CHECK(body.entries().front().first == "observation/image");
  CHECK(body.at("observation/image").as_array().shape() == env::Shape{224, 224, 3});
  CHECK(body.at("observation/state").as_array().dtype() == env::DType::kFloat64);
  CHECK(body.at("mask").as_array().dtype() == env::DType::kBool);
  CHECK(body.at("prompt").as_string() == "put the red cube in the bin");
  CHECK(body.at("joints").as_list()[5].as_int() == (std::int64_t{1} << 40));
  const std::string again = bridge::encode(body);
  CHECK(again.size() == bytes.size());
  CHECK(again == bytes);
  {
    std::ofstream f(out, std::ios::binary);
    f << again;
  }
  test::Child py({test::python(), test::source("tests/bridges/openpi_pack.py"), "check", out.string()},
                 test::python_env());
  CHECK_MESSAGE(py.finish() == 0, py.output());
  CHECK(py.output().find("CHECKED") != std::string::npos);
  fs::remove(in);
  fs::remove(out);
}

TEST_CASE("the Python client steps a C++ EnvServer (physics task) through reset, steps and episode end") {
  tasks::register_tasks();
  bridge::EnvServerOptions o;
  o.bind = "tcp://127.0.0.1:0";
  bridge::EnvServer server(
      bridge::EnvFactory::registry("a2w/LiftCube-v0", {{"render", false}, {"horizon", 8}}), o);
  server.start();
  test::Child py({test::python(), test::source("tests/bridges/py_env_client.py"), server.endpoint()},
                 test::python_env());
  const int code = py.finish();
  CAPTURE(py.output());
  CHECK(code == 0);
  CHECK(py.output().find("EPISODE steps=8 terminated=False truncated=True") != std::string::npos);
  CHECK(py.output().find("AFTER_END env_error") != std::string::npos);
  CHECK(py.output().find("BAD_ACTION bad_request") != std::string::npos);
  CHECK(py.output().find("\nOK") != std::string::npos);
}

TEST_CASE("with gymnasium importable, the Python RemoteEnv is a gymnasium.Env with gymnasium's spaces") {
  tasks::register_tasks();
  bridge::EnvServerOptions o;
  o.bind = "tcp://127.0.0.1:0";
  bridge::EnvServer server(
      bridge::EnvFactory::registry("a2w/LiftCube-v0", {{"render", false}, {"horizon", 8}}), o);
  server.start();
  // Debian 12 has no gymnasium: a stand-in with gymnasium 1.x's signatures goes first on the path.
  auto env = test::python_env();
  env["PYTHONPATH"] = test::source("tests/bridges/fake_gymnasium") + ":" + env["PYTHONPATH"];
  test::Child py({test::python(), test::source("tests/bridges/py_gymnasium_check.py"), server.endpoint()},
                 env);
  const int code = py.finish();
  CAPTURE(py.output());
  CHECK(code == 0);
  CHECK(py.output().find("GYMNASIUM_OK gymnasium") != std::string::npos);
}

TEST_CASE("a Python serve_policy policy drives a C++ rollout") {
  std::string endpoint;
  auto server = python_policy_server("tcp://127.0.0.1:0", endpoint);
  auto envs = lift_cube(2);
  bridge::RemotePolicy policy({.endpoint = endpoint, .envs = envs.get()});
  CHECK(policy.metadata().at("name").as_string() == "fixed");
  int up = 0;
  env::RolloutOptions ro;
  ro.episodes = 3;
  ro.on_observe = [&](const env::Dict&, const std::vector<std::int64_t>&) { ++up; };
  const auto episodes = bridge::rollout(*envs, policy, ro);
  REQUIRE(episodes.size() == 3);
  for (const auto& e : episodes) {
    CHECK(e.length == 10);
    CHECK(e.truncated);
    CHECK_FALSE(e.final_info.count("policy_error"));
  }
  CHECK(up > 0);
}

TEST_CASE(
    "SIGKILL of the policy server mid-episode fails that episode with a clear reason; stop keeps the rest") {
  std::string endpoint;
  auto server = python_policy_server("tcp://127.0.0.1:0", endpoint);
  auto envs = lift_cube(1);
  bridge::RemotePolicy policy({.endpoint = endpoint,
                               .connect_timeout_s = 1.0,
                               .peer_timeout_s = 1.0,
                               .on_failure = bridge::OnPolicyFailure::kStop,
                               .envs = envs.get()});
  env::RolloutOptions ro;
  ro.episodes = 4;
  std::chrono::steady_clock::time_point killed;
  ro.on_observe = [&](const env::Dict&, const std::vector<std::int64_t>& slot_episode) {
    static int steps_of_1 = 0;
    if (slot_episode[0] == 1 && ++steps_of_1 == 4) {
      server->kill(SIGKILL);
      server->wait();
      killed = std::chrono::steady_clock::now();
    }
  };
  std::string message;
  double detect_s = 0;
  const auto episodes = bridge::rollout(*envs, policy, ro, [&](const std::string& m) {
    message = m;
    detect_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - killed).count();
  });
  MESSAGE("failure detected " << detect_s << " s after SIGKILL: " << message);
  REQUIRE(episodes.size() == 2);
  CHECK(episodes[0].episode == 0);
  CHECK(episodes[0].length == 10);
  CHECK_FALSE(episodes[0].final_info.count("policy_error"));
  CHECK(episodes[1].episode == 1);
  CHECK_FALSE(episodes[1].success_once);
  CHECK(episodes[1].length == 3);  // it died during the 4th step's request
  REQUIRE(episodes[1].final_info.count("policy_error"));
  const std::string reason = episodes[1].final_info.at("policy_error").as_string();
  CAPTURE(reason);
  CHECK((reason.find("stopped answering") != std::string::npos ||
         reason.find("lost the policy server") != std::string::npos));
  CHECK(reason.find(endpoint) != std::string::npos);
  CHECK(message.find("episode 1 failed") != std::string::npos);
  CHECK(message.find("2 episodes not run (on_failure=stop)") != std::string::npos);
}

TEST_CASE("with on_failure=continue the rollout goes on once the policy server is back") {
  std::string endpoint;
  auto server = python_policy_server("tcp://127.0.0.1:0", endpoint);
  auto envs = lift_cube(1);
  bridge::RemotePolicy policy({.endpoint = endpoint,
                               .connect_timeout_s = 1.0,
                               .peer_timeout_s = 1.0,
                               .on_failure = bridge::OnPolicyFailure::kContinue,
                               .envs = envs.get()});
  env::RolloutOptions ro;
  ro.episodes = 3;
  ro.on_observe = [&](const env::Dict&, const std::vector<std::int64_t>& slot_episode) {
    static int steps_of_0 = 0;
    if (slot_episode[0] == 0 && ++steps_of_0 == 2) {
      server->kill(SIGKILL);
      server->wait();
    }
  };
  int failures = 0;
  const auto episodes = bridge::rollout(*envs, policy, ro, [&](const std::string&) {
    ++failures;
    std::string again;
    server = python_policy_server(endpoint, again);  // back on the same port
    CHECK(again == endpoint);
  });
  CHECK(failures == 1);
  REQUIRE(episodes.size() == 3);
  CHECK(episodes[0].final_info.count("policy_error"));
  CHECK(episodes[1].length == 10);
  CHECK_FALSE(episodes[1].final_info.count("policy_error"));
  CHECK(episodes[2].length == 10);
}

TEST_CASE("a Python serve_policy answers malformed messages with errors and goes on serving") {
  std::string endpoint;
  auto server = python_policy_server("tcp://127.0.0.1:0", endpoint);
  test::RawPeer peer(endpoint);
  auto b = [](std::initializer_list<int> bytes) {
    std::string s;
    for (int c : bytes) s += static_cast<char>(c);
    return s;
  };
  const std::string h = test::header(bridge::MessageType::kInfer, 1);
  bridge::Header v2;
  v2.type = bridge::MessageType::kInfer;
  v2.version = {2, 0};
  const std::string nd = bridge::encode(bridge::Body{{"state", env::Array(env::DType::kFloat32, {3})}});
  std::string bad_dtype = nd, bad_len = nd;
  bad_dtype.replace(bad_dtype.find("<f4"), 3, "<U1");
  bad_len[bad_len.find("\x91\x03") + 1] = 4;  // shape [4] for 12 bytes
  const std::vector<std::pair<const char*, std::vector<std::string>>> cases = {
      {"one frame", {h}},
      {"a header that is not msgpack", {b({0xc1}), nd}},
      {"another major version", {bridge::encode_header(v2), nd}},
      {"a truncated body", {h, nd.substr(0, nd.size() / 2)}},
      {"an array declaring 2^32-1 elements", {h, b({0x81, 0xa1, 'a', 0xdd, 0xff, 0xff, 0xff, 0xff})}},
      {"a bin declaring 4 GiB", {h, b({0x81, 0xa1, 'a', 0xc6, 0xff, 0xff, 0xff, 0xff, 0x00})}},
      {"an unknown dtype", {h, bad_dtype}},
      {"shape and data length that disagree", {h, bad_len}},
      {"an ext value", {h, b({0x81, 0xa1, 'a', 0xd4, 0x01, 0x02})}},
      {"bytes after the body", {h, nd + b({0x00})}},
  };
  for (const auto& [name, frames] : cases) {
    CAPTURE(name);
    peer.send(frames);
    const auto r = peer.receive();
    REQUIRE_MESSAGE(r, "no reply to " << name << "\n" << server->output());
    CHECK(r->first.type == bridge::MessageType::kError);
    const std::string code = r->second.at("code").as_string();
    CAPTURE(r->second.at("message").as_string());
    CHECK((code == "bad_message" || code == "unsupported_version"));
  }
  peer.send({test::header(bridge::MessageType::kInfer, 9),
             bridge::encode(
                 bridge::Body{{"instruction", "lift"}, {"state", env::Array(env::DType::kFloat32, {3})}})});
  const auto r = peer.receive();
  REQUIRE(r);
  CHECK(r->second.at("actions").as_array().shape() == env::Shape{1, 7});
}
