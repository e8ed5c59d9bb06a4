// a2w over processes launched torchrun-style (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT) that meet on a c10d
// TCPStore. `a2w eval` sharded: the same records as one process, a killed rank fails the run with a message
// that names it, and a rerun completes from the records already written. `a2w wm pretrain` data-parallel on
// ProcessGroupGloo: every rank ends with the same weights and only rank 0 writes the checkpoint.

#include <doctest/doctest.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "a2w/env/json.h"

extern char** environ;

namespace {

namespace fs = std::filesystem;

struct Dir {
  fs::path path;
  Dir() : path(fs::temp_directory_path() / ("a2w_shard_" + std::to_string(::getpid()))) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~Dir() { fs::remove_all(path); }
};

// A port nobody listens on now (the kernel's choice for port 0).
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  socklen_t n = sizeof a;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &n) == 0);
  ::close(fd);
  return ntohs(a.sin_port);
}

// `a2w VERB ARGS` with its output to `log`, as rank `rank` of `world` (no launch variables when world is 0).
pid_t spawn_a2w(const std::vector<std::string>& verb_and_args, const fs::path& log, int rank, int world,
                int port) {
  std::vector<std::string> argv{std::string(A2W_BINARY_DIR) + "/a2w"};
  argv.insert(argv.end(), verb_and_args.begin(), verb_and_args.end());
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) {
    const std::string kv(*e);
    if (kv.rfind("RANK=", 0) && kv.rfind("WORLD_SIZE=", 0) && kv.rfind("MASTER_", 0)) env.push_back(kv);
  }
  if (world > 0) {
    env.push_back("RANK=" + std::to_string(rank));
    env.push_back("WORLD_SIZE=" + std::to_string(world));
    env.push_back("MASTER_ADDR=127.0.0.1");
    env.push_back("MASTER_PORT=" + std::to_string(port));
  }
  std::vector<char*> a, e;
  for (auto& s : argv) a.push_back(s.data());
  a.push_back(nullptr);
  for (auto& s : env) e.push_back(s.data());
  e.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  pid_t pid = -1;
  REQUIRE(posix_spawn(&pid, a[0], &fa, nullptr, a.data(), e.data()) == 0);
  posix_spawn_file_actions_destroy(&fa);
  return pid;
}

int wait_exit(pid_t pid) {
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string read_all(const fs::path& p) {
  std::ifstream in(p);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The records of a results file as sorted lines (the order of arrival differs between runs).
std::vector<std::string> sorted_lines(const fs::path& p) {
  std::vector<std::string> lines;
  std::ifstream in(p);
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) lines.push_back(l);
  std::sort(lines.begin(), lines.end());
  return lines;
}

std::vector<std::string> job(const fs::path& out, int episodes, int horizon,
                             const std::string& task = "a2w/Reach-v0") {
  // The scripted expert's noise is seeded by the episode, so a record does not depend on which process ran
  // it.
  return {"eval",
          "--policies",
          "expert@0,expert@0.5",
          "--tasks",
          task,
          "--backends",
          "physics",
          "--episodes",
          std::to_string(episodes),
          "--horizon",
          std::to_string(horizon),
          "--image-size",
          "32",
          "--num-envs",
          "1",
          "--threads",
          "1",
          "--quiet",
          "--out",
          out.string(),
          "--heartbeat-timeout",
          "3"};
}

// dir/<prefix><n><suffix>, built without operator+ on a literal (GCC 12 warns falsely about it).
fs::path numbered(const fs::path& dir, const char* prefix, int n, const char* suffix) {
  std::string name(prefix);
  name.append(std::to_string(n)).append(suffix);
  return dir / name;
}

}  // namespace

TEST_CASE("eval on a c10d store: 2 and 4 ranks give the records of one process") {
  Dir dir;
  const auto one = dir.path / "one.jsonl";
  REQUIRE(wait_exit(spawn_a2w(job(one, 8, 20), dir.path / "one.log", 0, 0, 0)) == 0);
  const auto reference = sorted_lines(one);
  REQUIRE(reference.size() == 16);
  for (int world : {2, 4}) {
    CAPTURE(world);
    const auto out = numbered(dir.path, "ranks", world, ".jsonl");
    const int port = free_port();
    std::vector<pid_t> pids;
    for (int r = 0; r < world; ++r)
      pids.push_back(spawn_a2w(job(out, 8, 20), numbered(dir.path, "r", r, ".log"), r, world, port));
    for (int r = 0; r < world; ++r) {
      CAPTURE(r);
      const int code = wait_exit(pids[static_cast<std::size_t>(r)]);
      INFO(read_all(numbered(dir.path, "r", r, ".log")));
      CHECK(code == 0);
    }
    CHECK(sorted_lines(out) == reference);
    CHECK(read_all(dir.path / "r0.log").find("records gathered from the other ranks") != std::string::npos);
  }
}

TEST_CASE("eval on a c10d store: a killed rank fails the run by name, and a rerun completes") {
  Dir dir;
  const auto one = dir.path / "one.jsonl", out = dir.path / "killed.jsonl";
  // The expert needs more than 60 steps to place the cube: every episode runs its full 60, so rank 2 is still
  // busy when it is killed.
  const int episodes = 60, horizon = 60;
  const std::string task = "a2w/PickPlaceBin-v0";
  REQUIRE(wait_exit(spawn_a2w(job(one, episodes, horizon, task), dir.path / "one.log", 0, 0, 0)) == 0);

  const int world = 4, port = free_port();
  std::vector<pid_t> pids;
  for (int r = 0; r < world; ++r)
    pids.push_back(
        spawn_a2w(job(out, episodes, horizon, task), numbered(dir.path, "r", r, ".log"), r, world, port));
  // Once records arrive the ranks have met; then rank 2 dies mid-share.
  const auto t0 = std::chrono::steady_clock::now();
  while (sorted_lines(out).empty() && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(60))
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  REQUIRE_FALSE(sorted_lines(out).empty());
  ::kill(pids[2], SIGKILL);
  const int code0 = wait_exit(pids[0]);
  const std::string log0 = read_all(dir.path / "r0.log");
  INFO(log0);
  CHECK(code0 == 1);
  CHECK(log0.find("rank 2 of 4 stopped") != std::string::npos);
  CHECK(log0.find("rerun the same command") != std::string::npos);
  for (int r : {1, 3}) wait_exit(pids[static_cast<std::size_t>(r)]);  // they finish or lose rank 0
  wait_exit(pids[2]);
  const auto partial = sorted_lines(out);
  CHECK(partial.size() < 2u * episodes);

  // The rerun (here one process) keeps every record written and runs only the rest.
  REQUIRE(wait_exit(spawn_a2w(job(out, episodes, horizon, task), dir.path / "rerun.log", 0, 0, 0)) == 0);
  CHECK(sorted_lines(out) == sorted_lines(one));
  const auto kept = sorted_lines(out);
  for (const auto& line : partial) CHECK(std::binary_search(kept.begin(), kept.end(), line));
}

TEST_CASE("wm pretrain data-parallel on 2 ranks: the same weights on both, one checkpoint") {
  Dir dir;
  const auto data = dir.path / "data";
  REQUIRE(wait_exit(spawn_a2w({"collect", "--out", data.string(), "--tasks", "a2w/Reach-v0", "--episodes",
                               "2", "--noise", "0", "--image-size", "16", "--quiet"},
                              dir.path / "collect.log", 0, 0, 0)) == 0);
  const auto out = dir.path / "dp.a2wm";
  const std::vector<std::string> train{"wm",      "pretrain", "--data",  data.string(), "--config",  "tiny",
                                       "--steps", "6",        "--batch", "4",           "--threads", "1",
                                       "--quiet", "--json",   "--out",   out.string()};
  const int port = free_port();
  std::vector<pid_t> pids;
  for (int r = 0; r < 2; ++r)
    pids.push_back(spawn_a2w(train, numbered(dir.path, "t", r, ".log"), r, 2, port));
  std::vector<a2w::env::Dict> reports;
  for (int r = 0; r < 2; ++r) {
    CAPTURE(r);
    const int code = wait_exit(pids[static_cast<std::size_t>(r)]);
    const std::string log = read_all(numbered(dir.path, "t", r, ".log"));
    INFO(log);
    REQUIRE(code == 0);
    reports.push_back(a2w::env::parse_json(log.substr(log.find('{'))).as_dict());
    CHECK(a2w::env::get(reports.back(), "rank").as_int() == r);
    CHECK(a2w::env::get(reports.back(), "world_size").as_int() == 2);
    CHECK(a2w::env::get(reports.back(), "steps").as_int() == 6);
  }
  // Averaged gradients from the same start: bit-identical weights.
  CHECK(a2w::env::get(reports[0], "parameter_sum").as_double() ==
        a2w::env::get(reports[1], "parameter_sum").as_double());
  CHECK(fs::exists(out));
  // data, collect.log, dp.a2wm, t0.log, t1.log: no second checkpoint or temporary file from rank 1
  CHECK(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()) == 5);
}
