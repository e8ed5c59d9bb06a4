// The `a2w` command as a user runs it: exit codes, error messages, --json output.

#include <doctest/doctest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

#include "a2w/env/json.h"

namespace {

struct Run {
  int code = -1;
  std::string out;  // stdout and stderr together
};

Run run_a2w(const std::string& args) {
  const std::string cmd = std::string(A2W_BINARY_DIR) + "/a2w " + args + " 2>&1";
  Run r;
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  std::array<char, 4096> buf;
  while (std::fgets(buf.data(), buf.size(), p)) r.out += buf.data();
  const int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("no verb prints usage and exits 2") {
  const auto r = run_a2w("");
  CHECK(r.code == 2);
  CHECK(contains(r.out, "usage: a2w"));
  CHECK(contains(r.out, "rollout"));
}

TEST_CASE("unknown verb and bad options are usage errors that say what was expected") {
  auto r = run_a2w("fly");
  CHECK(r.code == 2);
  CHECK(contains(r.out, "unknown verb 'fly'"));
  r = run_a2w("rollout --episodes 3");
  CHECK(r.code == 2);
  CHECK(contains(r.out, "missing option --task"));
  r = run_a2w("rollout --task a2w/LiftCube-v0 --episodes many");
  CHECK(r.code == 2);
  CHECK(contains(r.out, "--episodes expects an integer, got 'many'"));
  r = run_a2w("rollout --task a2w/LiftCube-v0 --frobnicate 1");
  CHECK(r.code == 2);
  CHECK(contains(r.out, "unknown option --frobnicate"));
  r = run_a2w("rollout --task a2w/LiftCube-v0 --episodes 0");
  CHECK(r.code == 2);
  CHECK(contains(r.out, "in [1,"));
}

TEST_CASE("an unknown task id fails with close matches") {
  const auto r = run_a2w("rollout --task a2w/LiftCub-v0 --episodes 1 --quiet");
  CHECK(r.code == 1);
  CHECK(contains(r.out, "a2w/LiftCub-v0"));
  CHECK(contains(r.out, "a2w/LiftCube-v0"));
  CHECK_FALSE(contains(r.out, "terminate called"));
}

TEST_CASE("every verb has --help") {
  for (const char* verb : {"rollout", "collect", "doctor", "demo", "bench env", "tasks list", "tasks show"}) {
    CAPTURE(verb);
    const auto r = run_a2w(std::string(verb) + " --help");
    CHECK(r.code == 0);
    CHECK(contains(r.out, "usage: a2w"));
  }
}

TEST_CASE("tasks list --json lists at least eight tasks") {
  const auto r = run_a2w("tasks list --json");
  REQUIRE(r.code == 0);
  const auto v = a2w::env::parse_json(r.out);
  const auto& tasks = v.as_dict().at("tasks").as_list();
  CHECK(tasks.size() >= 8);
  for (const auto& t : tasks) CHECK(t.as_dict().at("id").as_string().rfind("a2w/", 0) == 0);
}

TEST_CASE("rollout --json reports one JSON object with the success rate") {
  const auto r = run_a2w("rollout --task a2w/Reach-v0 --policy expert --episodes 2 --state-only --json --quiet");
  REQUIRE(r.code == 0);
  const auto v = a2w::env::parse_json(r.out);
  const auto& d = v.as_dict();
  CHECK(d.at("episodes").as_int() == 2);
  CHECK(d.at("success_rate").as_double() >= 0.0);
  CHECK(d.at("success_rate").as_double() <= 1.0);
  CHECK(d.at("per_episode").as_list().size() == 2);
}
