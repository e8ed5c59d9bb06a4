// The `a2w` verbs of the bridge with real peers: an OpenPI-style Python websocket client calling
// `a2w serve policy --openpi`, `a2w rollout --policy openpi://` driving an OpenPI-style Python server,
// `a2w serve policy --policy expert` + `a2w rollout --policy zmq://`, `a2w serve env` with the Python client,
// and the refusal to bind beyond loopback without keys.

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "a2w/bridge/env_server.h"
#include "a2w/bridge/errors.h"
#include "a2w/bridge/remote_env.h"
#include "a2w/bridge/security.h"
#include "a2w/env/json.h"
#include "bridge_test_util.h"

using namespace a2w;
namespace fs = std::filesystem;

namespace {

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// `a2w serve ...` started and listening; `line_key` is what precedes the endpoint in its output.
std::unique_ptr<test::Child> a2w_server(const std::vector<std::string>& args) {
  std::vector<std::string> argv{test::a2w_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  auto child = std::make_unique<test::Child>(argv);
  return child;
}

env::Value rollout_json(const std::vector<std::string>& args, std::string* output = nullptr) {
  std::vector<std::string> argv{test::a2w_binary(), "rollout"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.insert(argv.end(), {"--json", "--quiet"});
  test::Child c(argv);
  const int code = c.finish(120);
  if (output) *output = c.output();
  REQUIRE_MESSAGE(code == 0, c.output());
  const auto& out = c.output();
  const auto brace = out.find('{');
  REQUIRE(brace != std::string::npos);
  return env::parse_json(out.substr(brace));
}

}  // namespace

TEST_CASE("an OpenPI-style websocket client calls `a2w serve policy --openpi`") {
  auto server = a2w_server({"serve", "policy", "--task", "a2w/LiftCube-v0", "--policy", "random", "--bind",
                            "tcp://127.0.0.1:0", "--openpi", "0", "--state-only"});
  const auto line = server->wait_for_line("OpenPI websocket on ");
  REQUIRE_MESSAGE(line, server->output());
  const std::string ws = test::word_after(*line, "OpenPI websocket on ");
  test::Child py({test::python(), test::source("tests/bridges/openpi_client.py"), ws}, test::python_env());
  const int code = py.finish();
  CAPTURE(py.output());
  CHECK(code == 0);
  CHECK(contains(py.output(), "METADATA ['action_horizon', 'control_hz', 'policy', 'task']"));
  CHECK(contains(py.output(), "ACTIONS (1, 7) float32"));
  CHECK(contains(py.output(), "ERROR_TEXT expected a binary frame"));
  CHECK(contains(py.output(), "CLOSE_CODE 1011"));
  CHECK(contains(py.output(), "HEALTHZ 200 'OK\\n'"));
  server->kill(SIGTERM);
  CHECK(server->finish() == 0);  // a clean shutdown on SIGTERM
}

TEST_CASE("`a2w rollout --policy openpi://` drives an OpenPI-style Python server with the LIBERO keys") {
  test::Child server({test::python(), test::source("tests/bridges/openpi_server.py")}, test::python_env());
  const auto line = server.wait_for_line("listening on ws://");
  REQUIRE_MESSAGE(line, server.output());
  const std::string port = test::word_after(*line, "ws://127.0.0.1:");
  const auto report =
      rollout_json({"--task", "a2w/LiftCube-v0", "--policy", "openpi://127.0.0.1:" + port + "?replan=5",
                    "--episodes", "2", "--num-envs", "1", "--image-size", "32"});
  CHECK(report.as_dict().at("episodes").as_int() == 2);
  CHECK(report.as_dict().at("policy").as_string() == "openpi://127.0.0.1:" + port + "?replan=5");
  server.kill(SIGTERM);
  server.finish(10);
  CAPTURE(server.output());
  CHECK(contains(server.output(),
                 "OBS observation/image=uint8[32, 32, 3] observation/wrist_image=uint8[32, 32, 3] "
                 "observation/state=float64[8] prompt=str"));
}

TEST_CASE("the expert served by `a2w serve policy` gives the same episodes as the expert in process") {
  auto server = a2w_server({"serve", "policy", "--task", "a2w/LiftCube-v0", "--policy", "expert", "--bind",
                            "tcp://127.0.0.1:0", "--state-only"});
  const auto line = server->wait_for_line("serving 'expert'");
  REQUIRE_MESSAGE(line, server->output());
  const std::string zmq = "zmq://" + test::word_after(*line, " on tcp://");
  const std::vector<std::string> common{"--task", "a2w/LiftCube-v0", "--episodes", "3", "--num-envs",
                                        "2",      "--state-only"};
  auto with = [&](const std::string& policy) {
    auto args = common;
    args.insert(args.end(), {"--policy", policy});
    return rollout_json(args);
  };
  const auto remote = with(zmq), local = with("expert");
  const auto& r = remote.as_dict().at("per_episode").as_list();
  const auto& l = local.as_dict().at("per_episode").as_list();
  REQUIRE(r.size() == 3);
  for (std::size_t i = 0; i < r.size(); ++i) {
    CHECK(r[i].as_dict().at("return").as_double() == l[i].as_dict().at("return").as_double());
    CHECK(r[i].as_dict().at("length").as_int() == l[i].as_dict().at("length").as_int());
  }
  CHECK(remote.as_dict().at("success_rate").as_double() == 1.0);
}

TEST_CASE("`a2w serve env` serves the Python client, and refuses a non-loopback bind without keys") {
  auto server = a2w_server(
      {"serve", "env", "--task", "a2w/LiftCube-v0", "--bind", "tcp://127.0.0.1:0", "--state-only"});
  const auto line = server->wait_for_line("serving a2w/LiftCube-v0 on ");
  REQUIRE_MESSAGE(line, server->output());
  test::Child py({test::python(), test::source("tests/bridges/py_env_client.py"),
                  test::word_after(*line, "serving a2w/LiftCube-v0 on ")},
                 test::python_env());
  const int code = py.finish(120);
  CAPTURE(py.output());
  CHECK(code == 0);
  CHECK(contains(py.output(), "EPISODE steps="));
  server->kill(SIGINT);
  CHECK(server->finish() == 0);

  test::Child open(
      {test::a2w_binary(), "serve", "env", "--task", "a2w/LiftCube-v0", "--bind", "tcp://0.0.0.0:0"});
  CHECK(open.finish() == 1);
  CHECK(contains(open.output(),
                 "binding tcp://0.0.0.0:0 (not loopback) needs CURVE keys: pass --curve-keys DIR"));
}

TEST_CASE(
    "with CURVE keys a server binds beyond loopback; clients need its key, and authorized_clients holds") {
  const fs::path dir = fs::temp_directory_path() / ("a2w_curve_" + std::to_string(getpid()));
  fs::remove_all(dir);
  const auto keys = bridge::load_server_keys(dir.string());  // made on first use
  CHECK(keys.server.public_key.size() == 40);
  CHECK((fs::status(dir / "server.secret").permissions() & fs::perms::others_read) == fs::perms::none);
  bridge::EnvServerOptions o;
  o.bind = "tcp://0.0.0.0:0";
  o.curve_keys_dir = dir.string();
  bridge::EnvServer server(bridge::EnvFactory::of_env([] { return std::make_unique<test::ZeroEnv>(); }), o);
  server.start();
  const std::string port = server.endpoint().substr(server.endpoint().rfind(':') + 1);
  const std::string local = "tcp://127.0.0.1:" + port;
  {
    bridge::RemoteEnv good({.endpoint = local, .server_public_key = keys.server.public_key});
    CHECK(good.reset().obs.count("x"));
  }
  // Without the key the handshake never completes: the client gives up with Unavailable.
  CHECK_THROWS_AS(bridge::RemoteEnv({.endpoint = local, .connect_timeout_s = 0.5}), bridge::Unavailable);
  server.stop();

  // With an authorized_clients file, a client whose key is not listed is turned away (ZAP), key or not.
  {
    std::ofstream f(dir / "authorized_clients");
    f << "# only this one\n" << bridge::generate_curve_keys().public_key << "\n";
  }
  o.bind = "tcp://127.0.0.1:0";
  bridge::EnvServer strict(bridge::EnvFactory::of_env([] { return std::make_unique<test::ZeroEnv>(); }), o);
  strict.start();
  CHECK_THROWS_AS(bridge::RemoteEnv({.endpoint = strict.endpoint(),
                                     .server_public_key = keys.server.public_key,
                                     .connect_timeout_s = 0.5}),
                  bridge::Unavailable);
  fs::remove_all(dir);
}
