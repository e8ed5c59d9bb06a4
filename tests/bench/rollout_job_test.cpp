// run_rollout() and collect(): the library calls behind `a2w rollout` and `a2w collect`, on real tasks.

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "a2w/bench/collect.h"
#include "a2w/bench/rollout_job.h"
#include "a2w/env/hdf5_reader.h"
#include "a2w/env/json.h"
#include "a2w/env/registry.h"
#include "a2w/env/vector_env.h"
#include "a2w/tasks/tasks.h"

namespace fs = std::filesystem;
using namespace a2w;

namespace {

fs::path fresh_dir(const std::string& name) {
  const fs::path p = fs::temp_directory_path() / ("a2w_bench_test_" + name + "_" + std::to_string(getpid()));
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

int sh(const std::string& cmd) { return std::system(cmd.c_str()); }

}  // namespace

TEST_CASE("a VectorEnv with cameras gives bitwise-identical batches with 1 and 2 threads") {
  tasks::register_tasks();
  const env::Dict options{{"image_size", 64}};
  auto run = [&](int threads) {
    env::ThreadedVectorEnv v([&](int) { return make("a2w/PickPlaceBin-v0", options); },
                     {4, threads, env::AutoresetMode::kNextStep});
    std::vector<env::Dict> batches;
    batches.push_back(env::clone(v.reset(std::uint64_t{7}).obs));
    env::Rng rng(3);
    env::Array actions(env::DType::kFloat32, {4, 7});
    for (int t = 0; t < 12; ++t) {
      for (auto& a : actions.span<float>()) a = static_cast<float>(rng.uniform(-1, 1));
      batches.push_back(env::clone(v.step(actions).obs));
    }
    return batches;
  };
  const auto one = run(1), two = run(2);
  REQUIRE(one.size() == two.size());
  for (std::size_t t = 0; t < one.size(); ++t) {
    for (const auto& [key, value] : one[t]) {
      CAPTURE(t);
      CAPTURE(key);
      if (value.is_array()) CHECK(value.as_array().equals(two[t].at(key).as_array()));
    }
  }
  CHECK(one[0].at("agentview_rgb").as_array().shape() == env::Shape{4, 64, 64, 3});
}

TEST_CASE("run_rollout: same outcomes for any env count and thread count") {
  bench::RolloutJob job;
  job.task = "a2w/LiftCube-v0";
  job.episodes = 4;
  job.seed = 11;
  job.env_options = {{"render", false}};
  job.progress = false;
  job.num_envs = 1;
  job.num_threads = 1;
  const auto a = bench::run_rollout(job);
  job.num_envs = 3;
  job.num_threads = 2;
  const auto b = bench::run_rollout(job);
  REQUIRE(a.episodes.size() == 4);
  for (std::size_t k = 0; k < 4; ++k) {
    CHECK(a.episodes[k].seed == b.episodes[k].seed);
    CHECK(a.episodes[k].length == b.episodes[k].length);
    CHECK(a.episodes[k].ret == b.episodes[k].ret);
    CHECK(a.episodes[k].success_once == b.episodes[k].success_once);
  }
  CHECK(a.summary.success_rate == b.summary.success_rate);
}

TEST_CASE("run_rollout records an HDF5 file in the LIBERO layout that h5py opens, and a video") {
  const auto dir = fresh_dir("record");
  bench::RolloutJob job;
  job.task = "a2w/Reach-v0";
  job.episodes = 3;
  job.env_options = {{"image_size", 64}};
  job.record = (dir / "reach.hdf5").string();
  job.video = (dir / "reach.mp4").string();
  job.progress = false;
  const auto report = bench::run_rollout(job);
  REQUIRE(fs::exists(job.record));
  REQUIRE(fs::exists(job.video));

  env::DatasetReader reader(job.record);
  CHECK(reader.demo_names().size() == 3);
  for (const auto& demo : reader.demo_names()) {
    const auto rgb = reader.read(demo, "obs/agentview_rgb");
    CHECK(rgb.shape() == env::Shape{reader.num_samples(demo), 64, 64, 3});
    CHECK(reader.read(demo, "actions").shape() == env::Shape{reader.num_samples(demo), 7});
  }


  // The layout as h5py (what robomimic and LIBERO loaders use) sees it.
  const fs::path script = dir / "check.py";
  std::ofstream(script) << R"(import h5py, json, sys
f = h5py.File(sys.argv[1], "r")
d = f["data"]
assert json.loads(d.attrs["env_args"])["env_name"] == "a2w/Reach-v0"
assert len([k for k in d.keys() if k.startswith("demo_")]) == 3
for name in d:
    g = d[name]
    T = g.attrs["num_samples"]
    assert g["actions"].shape == (T, 7) and g["actions"].dtype == "float32"
    assert g["rewards"].shape == (T,) and g["dones"].shape == (T,) and g["dones"][-1] == 1
    for key in ["agentview_rgb", "eye_in_hand_rgb"]:
        assert g["obs"][key].shape == (T, 64, 64, 3) and g["obs"][key].dtype == "uint8"
    for key, n in [("ee_pos", 3), ("ee_ori", 3), ("gripper_states", 2), ("joint_states", 7)]:
        assert g["obs"][key].shape == (T, n), key
    assert len(g["state"]) > 0
)";
  CHECK(sh("/usr/bin/python3 " + script.string() + " " + job.record) == 0);

  const fs::path frames_txt = dir / "frames.txt";
  const std::string probe = "ffprobe -v error -count_frames -select_streams v:0 -show_entries "
                            "stream=nb_read_frames -of csv=p=0 " + job.video + " > " + frames_txt.string();
  REQUIRE(sh(probe) == 0);
  std::ifstream frames(frames_txt);
  long n = 0;
  frames >> n;
  CHECK(n == report.episodes[0].length + 1);  // the reset frame and one per step
  fs::remove_all(dir);
}

TEST_CASE("collect writes one folder per task, a manifest, and files that open") {
  const auto dir = fresh_dir("collect");
  bench::CollectJob job;
  job.tasks = {"a2w/Reach-v0", "a2w/LiftCube-v0"};
  job.episodes = 2;
  job.noise_levels = {0.0, 0.2};
  job.out = dir.string();
  job.env_options = {{"image_size", 64}};
  job.num_envs = 2;
  job.progress = false;
  const auto report = bench::collect(job);
  CHECK(report.runs.size() == 4);
  REQUIRE(fs::exists(dir / "manifest.json"));
  std::ifstream f(dir / "manifest.json");
  const std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const auto manifest = env::parse_json(text);
  CHECK(manifest.as_dict().at("runs").as_list().size() == 4);
  std::int64_t demos = 0;
  for (const auto& file : report.files) {
    env::DatasetReader r(dir / file);
    demos += static_cast<std::int64_t>(r.demo_names().size());
  }
  CHECK(demos == 8);
  CHECK(fs::exists(dir / "Reach-v0"));
  CHECK(fs::exists(dir / "LiftCube-v0"));

  job.tasks = {"a2w/NoSuchTask-v0"};
  CHECK_THROWS_AS(bench::collect(job), NotFound);
  fs::remove_all(dir);
}
