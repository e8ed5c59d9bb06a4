// Learned policies: the behaviour-cloning policy (bc_policy.h, bc_train.h), TorchScript policies
// (torchscript_policy.h, modules exported at test time by export_torchscript_policies.py with Debian's
// python3-torch), load_policy (policy_loader.h), and both stepped through a physics task and A2World-sim with
// a fake world model. CI-fast: the tiny preset on 16 x 16 data written here.

#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "a2w/env/hdf5_writer.h"
#include "a2w/env/registry.h"
#include "a2w/env/rollout.h"
#include "a2w/env/vector_env.h"
#include "a2w/env/wrappers.h"
#include "a2w/tasks/tasks.h"
#include "a2w/wm/a2world_net.h"
#include "a2w/wm/a2world_policy.h"
#include "a2w/wm/a2world_policy_train.h"
#include "a2w/wm/bc_policy.h"
#include "a2w/wm/bc_train.h"
#include "a2w/wm/checkpoint.h"
#include "a2w/wm/instruction_tokenizer.h"
#include "a2w/wm/policy_loader.h"
#include "a2w/wm/policy_zoo.h"
#include "a2w/wm/state_normalizer.h"
#include "a2w/wm/torchscript_policy.h"
#include "a2w/wm/world_model_env.h"
#include "fake_world_model.h"
#include "wm_test_util.h"

using namespace a2w;
using a2w::env::Array;
using a2w::env::Dict;
using a2w::env::DType;

namespace {

namespace fs = std::filesystem;
constexpr const char* kPython = "/usr/bin/python3";
constexpr const char* kTask = "a2w/LiftCube-v0";
constexpr int kSize = 16;

template <typename E, typename F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  return "";
}

bool has(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// An episode's proprio and actions as known functions of (episode, step); frames from wm_test_util.h.
float ee(int ep, std::int64_t t, int j) {
  return 0.05f * static_cast<float>(ep) + 0.01f * static_cast<float>(t) * (j + 1);
}
float gripper(std::int64_t t) {
  return 0.04f - 0.002f * static_cast<float>(t);
}
float action(int ep, std::int64_t t, std::int64_t steps, int j) {
  if (j == 6) return t < steps / 2 ? -1.0f : 1.0f;
  return 0.5f * std::sin(0.4f * static_cast<float>(t) + static_cast<float>(ep) + static_cast<float>(j));
}

// One HDF5 file of `episodes` episodes in the layout `a2w collect` writes (views, proprio, actions, success).
// Episode e succeeds (its last two steps) unless e is in `failures`.
void write_policy_dataset(const std::string& file, const std::string& task, int episodes, std::int64_t steps,
                          int first_ep = 0, std::vector<int> failures = {}) {
  using namespace a2w::env;
  DatasetWriter w(file, {.env_id = task, .overwrite = true});
  for (int e = 0; e < episodes; ++e) {
    const int ep = first_ep + e;
    const bool fails = std::find(failures.begin(), failures.end(), ep) != failures.end();
    Demo d;
    d.actions = Array(DType::kFloat32, {steps, 7});
    d.rewards = Array(DType::kFloat32, {steps});
    d.success = Array(DType::kUInt8, {steps});
    Array views[2] = {Array(DType::kUInt8, {steps, kSize, kSize, 3}),
                      Array(DType::kUInt8, {steps, kSize, kSize, 3})};
    Array pos(DType::kFloat32, {steps, 3}), ori(DType::kFloat32, {steps, 3}),
        grip(DType::kFloat32, {steps, 2}), joints(DType::kFloat32, {steps, 7});
    for (std::int64_t t = 0; t < steps; ++t) {
      for (int j = 0; j < 7; ++j) d.actions.data<float>()[t * 7 + j] = action(ep, t, steps, j);
      d.success.data<std::uint8_t>()[t] = !fails && t >= steps - 2 ? 1 : 0;
      for (int j = 0; j < 3; ++j) {
        pos.data<float>()[t * 3 + j] = ee(ep, t, j);
        ori.data<float>()[t * 3 + j] = j == 0 ? 3.0f : 0.1f * static_cast<float>(ep);
      }
      grip.data<float>()[t * 2] = gripper(t);
      grip.data<float>()[t * 2 + 1] = -gripper(t);
      for (int v = 0; v < 2; ++v) {
        auto* p = views[v].data<std::uint8_t>() + t * kSize * kSize * 3;
        for (int y = 0; y < kSize; ++y)
          for (int x = 0; x < kSize; ++x)
            for (int ch = 0; ch < 3; ++ch)
              p[(y * kSize + x) * 3 + ch] = wmtest::pixel(ep, t, v, y, x, ch, kSize);
      }
    }
    d.obs["agentview_rgb"] = views[0];
    d.obs["eye_in_hand_rgb"] = views[1];
    d.obs["ee_pos"] = pos;
    d.obs["ee_ori"] = ori;
    d.obs["gripper_states"] = grip;
    d.obs["joint_states"] = joints;
    d.instruction = "lift the cube";
    d.seed = static_cast<std::uint64_t>(ep);
    d.seeded = true;
    w.append(d);
  }
  w.close();
}

// The observation batch of `b` rows at steps t0, t0 + 1, ... of episode `ep` (what a VectorEnv would return).
Dict observation(int b, int ep = 0, std::int64_t t0 = 0, int size = kSize) {
  Dict obs;
  Array views[2] = {Array(DType::kUInt8, {b, size, size, 3}), Array(DType::kUInt8, {b, size, size, 3})};
  Array pos(DType::kFloat32, {b, 3}), ori(DType::kFloat32, {b, 3}), grip(DType::kFloat32, {b, 2});
  for (int r = 0; r < b; ++r) {
    const std::int64_t t = t0 + r;
    for (int v = 0; v < 2; ++v) {
      auto* p = views[v].data<std::uint8_t>() + r * size * size * 3;
      for (int y = 0; y < size; ++y)
        for (int x = 0; x < size; ++x)
          for (int ch = 0; ch < 3; ++ch) p[(y * size + x) * 3 + ch] = wmtest::pixel(ep, t, v, y, x, ch, size);
    }
    for (int j = 0; j < 3; ++j) {
      pos.data<float>()[r * 3 + j] = ee(ep, t, j);
      ori.data<float>()[r * 3 + j] = j == 0 ? 3.0f : 0.1f * static_cast<float>(ep);
    }
    grip.data<float>()[r * 2] = gripper(t);
    grip.data<float>()[r * 2 + 1] = -gripper(t);
  }
  obs["agentview_rgb"] = views[0];
  obs["eye_in_hand_rgb"] = views[1];
  obs["ee_pos"] = pos;
  obs["ee_ori"] = ori;
  obs["gripper_states"] = grip;
  return obs;
}

wm::BCTrainJob tiny_job(const std::string& data, const std::string& out, std::int64_t steps) {
  wm::BCTrainJob job;
  job.data = {data};
  job.out = out;
  job.config = "tiny";
  job.steps = steps;
  job.batch_size = 8;
  job.lr = 3e-3;
  job.threads = 1;
  job.log_every = 5;
  job.checkpoint_every = 0;
  job.progress = false;
  return job;
}

// A dataset folder with two LiftCube files, once per test process.
const wmtest::TempDir& dataset() {
  static const wmtest::TempDir dir("policies");
  static const bool written = [] {
    fs::create_directories(dir.path / "data");
    write_policy_dataset(dir.str("data/lift_a.hdf5"), kTask, 3, 14, 0, {2});
    write_policy_dataset(dir.str("data/lift_b.hdf5"), kTask, 2, 10, 3);
    return true;
  }();
  (void)written;
  return dir;
}

// A trained tiny BC policy file (20 steps), once per test process.
const std::string& trained_policy() {
  static const std::string path = [] {
    const std::string out = dataset().str("trained.a2wp");
    wm::train_bc(tiny_job(dataset().str("data"), out, 20));
    return out;
  }();
  return path;
}

wm::A2WorldPolicyTrainJob tiny_a2w_job(const std::string& data, const std::string& out, std::int64_t steps) {
  wm::A2WorldPolicyTrainJob job;
  job.data = {data};
  job.out = out;
  job.config = "tiny";
  job.steps = steps;
  job.batch_size = 4;
  job.lr = 1e-3;
  job.threads = 1;
  job.log_every = 5;
  job.checkpoint_every = 0;
  job.precision = "float32";
  job.progress = false;
  return job;
}

// A trained tiny A2World-policy file (12 steps, from scratch), once per test process.
const std::string& trained_a2w_policy() {
  static const std::string path = [] {
    const std::string out = dataset().str("a2w_policy.a2wp");
    wm::train_a2world_policy(tiny_a2w_job(dataset().str("data"), out, 12));
    return out;
  }();
  return path;
}

// observation() with what A2World-policy reads besides: joint angles and the instruction.
Dict a2w_observation(int b, const std::string& instruction = "lift the cube") {
  Dict obs = observation(b, 0, 3);
  obs["joint_states"] = Array(DType::kFloat32, {b, 7});
  env::List texts;
  for (int i = 0; i < b; ++i) texts.emplace_back(instruction);
  obs["instruction"] = texts;
  return obs;
}

std::pair<int, std::string> run(const std::string& command) {
  std::string out;
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  if (!p) return {-1, "popen failed"};
  char buf[512];
  while (std::fgets(buf, sizeof buf, p)) out += buf;
  const int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

// The exported TorchScript policies, once per test process.
const fs::path& modules() {
  static const wmtest::TempDir dir("torchscript_policies");
  static const bool exported = [] {
    if (!fs::exists(kPython))
      FAIL("no " << kPython << ": install Debian's python3 and python3-torch (scripts/setup.sh)");
    const auto [rc, out] = run(std::string(kPython) + " -c 'import torch'");
    if (rc != 0)
      FAIL(kPython << " cannot import torch; install python3-torch (apt-get install python3-torch): " << out);
    const std::string script =
        std::string(A2W_SOURCE_DIR) + "/tests/worldmodel/export_torchscript_policies.py";
    const auto [rc2, out2] = run(std::string(kPython) + " " + script + " " + dir.str());
    if (rc2 != 0) FAIL("exporting the TorchScript test policies failed (" << rc2 << "): " << out2);
    return true;
  }();
  (void)exported;
  return dir.path;
}

std::string module(const std::string& name) {
  return (modules() / name).string();
}

torch::Tensor tensor_of(const Array& a) {
  std::vector<std::int64_t> sizes(a.shape().begin(), a.shape().end());
  return torch::from_blob(const_cast<void*>(a.raw()), sizes, torch::kFloat).clone();
}

// Physics LiftCube at 16 x 16 with a `steps`-step time limit.
std::unique_ptr<env::VectorEnv> physics(int n, std::int64_t steps) {
  tasks::register_tasks();
  return std::make_unique<env::ThreadedVectorEnv>(
      [steps](int) -> env::EnvPtr {
        return std::make_unique<env::TimeLimit>(a2w::make(kTask, {{"image_size", kSize}}), steps);
      },
      env::VectorEnvOptions{n, 1, env::AutoresetMode::kDisabled});
}

std::unique_ptr<env::VectorEnv> imagined(int n, std::int64_t horizon) {
  tasks::register_tasks();
  wm::WorldModelEnvOptions o;
  o.task = kTask;
  o.num_envs = n;
  o.autoreset_mode = env::AutoresetMode::kDisabled;
  o.horizon = horizon;
  return std::make_unique<wm::WorldModelVectorEnv>(
      std::make_shared<wm::test::FakeWorldModel>(wm::test::fake_config(kSize)), o);
}

// Passes act() through and checks every output: [B, H, 7] or [B, 7], finite, in [-1, 1].
class CheckedPolicy final : public env::Policy {
 public:
  explicit CheckedPolicy(std::unique_ptr<env::Policy> inner) : inner_(std::move(inner)) {}
  std::string name() const override { return inner_->name(); }
  Array act(const Dict& obs) override {
    Array a = inner_->act(obs);
    const auto b = obs.at("ee_pos").as_array().dim(0);
    CHECK(a.dtype() == DType::kFloat32);
    CHECK(a.dim(0) == b);
    CHECK(a.dim(-1) == 7);
    for (float x : a.span<float>()) {
      CHECK(std::isfinite(x));
      CHECK(std::abs(x) <= 1.0f);
    }
    shapes.push_back(a.shape());
    return a;
  }
  void reset(const std::vector<bool>& mask) override { inner_->reset(mask); }
  std::vector<env::Shape> shapes;

 private:
  std::unique_ptr<env::Policy> inner_;
};

std::vector<env::EpisodeMetrics> roll(env::VectorEnv& envs, CheckedPolicy& policy, std::int64_t episodes) {
  env::RolloutOptions ro;
  ro.episodes = episodes;
  ro.base_seed = 5;
  return env::rollout(envs, policy, ro);
}

}  // namespace

TEST_CASE("BC policy config: presets, dict round trip, validation") {
  const auto tiny = wm::BCConfig::preset("tiny");
  tiny.validate();
  CHECK(tiny.image_size == 16);
  const auto cpu = wm::BCConfig::preset("cpu");
  CHECK(cpu.chunk == 8);
  CHECK(cpu.loss == "l1");
  auto c = tiny;
  c.tasks = {"a2w/LiftCube-v0", "a2w/Reach-v0"};
  c.loss = "mse";
  const auto back = wm::BCConfig::from_dict(c.to_dict());
  CHECK(back.to_dict().size() == c.to_dict().size());
  CHECK(back.tasks == c.tasks);
  CHECK(back.loss == "mse");
  CHECK(back.chunk == c.chunk);
  CHECK(has(message_of<InvalidArgument>([] {
              wm::BCConfig::from_dict({{"widht", 3}});
            }),
            "unknown field 'widht'"));
  CHECK(has(message_of<InvalidArgument>([] { wm::BCConfig::preset("huge"); }), "expected tiny or cpu"));
  c.execute = c.chunk + 1;
  CHECK(has(message_of<InvalidArgument>([&] { c.validate(); }), "execute"));
  c = tiny;
  c.image_size = 24;
  CHECK(has(message_of<InvalidArgument>([&] { c.validate(); }), "multiple of 16"));
}

TEST_CASE("BC policy training overfits one batch") {
  wmtest::TempDir dir("bc_overfit");
  write_policy_dataset(dir.str("one.hdf5"), kTask, 1, 12);
  auto job = tiny_job(dir.str("one.hdf5"), dir.str("overfit.a2wp"), 300);
  job.batch_size = 12;
  job.config_overrides = {{"augment_shift", 0}};
  job.log_every = 10;
  const auto r = wm::train_bc(job);
  REQUIRE(r.curve.size() == 30);
  CHECK(r.samples == 12);
  CHECK(r.episodes == 1);
  CHECK(r.finished);
  CHECK(r.steps == 300);
  CHECK(r.curve.back().loss < 0.1 * r.curve.front().loss);
  CHECK(r.samples_per_second > 0);
  CHECK(r.tasks == std::vector<std::string>{kTask});
}

TEST_CASE("BC policy checkpoint round trip: the same actions after save and load") {
  const auto ck = wm::read_checkpoint(trained_policy());
  CHECK(env::get(ck.meta, "kind").as_string() == "bc");
  CHECK(env::get(ck.meta, "step").as_int() == 20);
  CHECK(ck.has_prefix("optim/"));
  CHECK(ck.has_prefix("ema/"));

  auto a = wm::BCPolicy::load(trained_policy(), {.task = kTask});
  CHECK(a->task_row() == 0);
  CHECK(a->config().image_size == kSize);
  CHECK(a->config().tasks == std::vector<std::string>{kTask});
  const Dict obs = observation(3, 1, 2);
  const Array first = a->act(obs);
  CHECK(first.shape() == env::Shape{3, a->config().execute, 7});
  CHECK(a->predict(obs).sizes() == c10::IntArrayRef({3, a->config().chunk, 7}));

  // Loaded again, and exported (inference file: no optimizer state) then loaded: bit-identical actions.
  CHECK(wm::BCPolicy::load(trained_policy(), {.task = kTask})->act(obs).equals(first));
  wmtest::TempDir dir("bc_roundtrip");
  a->save(dir.str("exported.a2wp"), {{"note", "test"}});
  const auto exported = wm::read_checkpoint(dir.str("exported.a2wp"));
  CHECK_FALSE(exported.has_prefix("optim/"));
  CHECK(env::get(exported.meta, "note").as_string() == "test");
  auto b = wm::BCPolicy::load(dir.str("exported.a2wp"), {.task = kTask});
  CHECK(b->act(obs).equals(first));
  // Through load_policy (by content), with an execute override left at the config's.
  CHECK(wm::load_policy(dir.str("exported.a2wp"))->act(obs).shape() == first.shape());

  // Row b depends on row b only: the first row alone gives the same actions.
  const Array alone = a->act(observation(1, 1, 2));
  CHECK(torch::allclose(tensor_of(alone)[0], tensor_of(first)[0], 1e-5, 1e-6));

  // An unknown task has no embedding row and still acts; a sim id maps to its physics task.
  a->set_task("a2w/NotATask-v0");
  CHECK(a->task_row() == -1);
  CHECK(a->act(obs).shape() == first.shape());
  a->set_task("a2w-sim/LiftCube-v0");
  CHECK(a->task_row() == 0);
  CHECK(a->act(obs).equals(first));

  // Missing observation keys are named.
  Dict partial = obs;
  partial.erase("ee_ori");
  CHECK(has(message_of<InvalidArgument>([&] { a->act(partial); }), "ee_ori"));
}

TEST_CASE("BC policy training is deterministic for a seed and resumes exactly") {
  wmtest::TempDir dir("bc_determinism");
  const Dict obs = observation(2, 0, 3);
  auto train = [&](const std::string& name, std::uint64_t seed, std::int64_t stop_at, bool resume) {
    auto job = tiny_job(dataset().str("data"), dir.str(name), 16);
    job.seed = seed;
    job.stop_at_step = stop_at;
    job.resume = resume;
    return wm::train_bc(job);
  };
  const auto r1 = train("a.a2wp", 7, 0, false);
  const auto r2 = train("b.a2wp", 7, 0, false);
  REQUIRE(r1.curve.size() == r2.curve.size());
  for (std::size_t i = 0; i < r1.curve.size(); ++i) CHECK(r1.curve[i].loss == r2.curve[i].loss);
  const Array a1 = wm::BCPolicy::load(dir.str("a.a2wp"))->act(obs);
  CHECK(wm::BCPolicy::load(dir.str("b.a2wp"))->act(obs).equals(a1));

  const auto other = train("c.a2wp", 8, 0, false);
  CHECK_FALSE(wm::BCPolicy::load(dir.str("c.a2wp"))->act(obs).equals(a1));
  CHECK(other.curve.front().loss != r1.curve.front().loss);

  // Interrupted at step 6, then resumed to 16: the same weights as the uninterrupted run.
  const auto part = train("d.a2wp", 7, 6, false);
  CHECK_FALSE(part.finished);
  CHECK(part.steps == 6);
  const auto rest = train("d.a2wp", 7, 0, true);
  CHECK(rest.start_step == 6);
  CHECK(rest.finished);
  CHECK(rest.curve.back().loss == r1.curve.back().loss);
  CHECK(wm::BCPolicy::load(dir.str("d.a2wp"))->act(obs).equals(a1));
}

TEST_CASE("policy zoo: snapshots of one run, noise variants and random, in a manifest eval reads") {
  wmtest::TempDir dir("zoo");
  const Dict obs = observation(2, 0, 3);
  wm::PolicyZooJob job;
  job.train = tiny_job(dataset().str("data"), "", 12);
  job.train.seed = 7;
  job.snapshots = {8, 4};
  job.noise = {0.3};
  job.out_dir = dir.str("zoo");
  const auto zoo = wm::build_policy_zoo(job);
  REQUIRE(zoo.entries.size() == 5);
  CHECK(zoo.entries[0].name == "random");
  CHECK(zoo.entries[1].name == "bc_step4");
  CHECK(zoo.entries[2].name == "bc_step8");
  CHECK(zoo.entries[3].name == "bc_step12");
  CHECK(zoo.entries[3].origin.find("step 12 of 12") != std::string::npos);
  CHECK(zoo.entries[3].origin.find("seed 7") != std::string::npos);
  CHECK(zoo.entries[4].name == "bc_step12@0.3");
  CHECK(zoo.entries[4].file == "bc_step12.a2wp");
  CHECK(zoo.entries[4].noise == 0.3);

  // The snapshots are points of one schedule: the last is the uninterrupted run's policy, the first is not.
  auto straight = tiny_job(dataset().str("data"), dir.str("straight.a2wp"), 12);
  straight.seed = 7;
  wm::train_bc(straight);
  const Array want = wm::BCPolicy::load(dir.str("straight.a2wp"))->act(obs);
  CHECK(wm::BCPolicy::load(dir.str("zoo/bc_step12.a2wp"))->act(obs).equals(want));
  CHECK_FALSE(wm::BCPolicy::load(dir.str("zoo/bc_step4.a2wp"))->act(obs).equals(want));

  // The manifest gives eval its policy names; a rebuild keeps the files it finds.
  const auto names = wm::zoo_policy_names(zoo.manifest);
  REQUIRE(names.size() == 5);
  CHECK(names[0] == "random");
  CHECK(names[1] == dir.str("zoo/bc_step4.a2wp"));
  CHECK(names[4] == dir.str("zoo/bc_step12.a2wp") + "@0.3");
  const auto before = fs::last_write_time(dir.str("zoo/bc_step4.a2wp"));
  CHECK(wm::build_policy_zoo(job).entries.size() == 5);
  CHECK(fs::last_write_time(dir.str("zoo/bc_step4.a2wp")) == before);

  // Bad jobs and bad manifests.
  auto bad = job;
  bad.snapshots = {12};
  CHECK(has(message_of<InvalidArgument>([&] { wm::build_policy_zoo(bad); }), "snapshots in (0, 12)"));
  bad = job;
  bad.noise = {-1};
  CHECK_THROWS_AS(wm::build_policy_zoo(bad), InvalidArgument);
  {
    std::ofstream m(dir.str("zoo/broken.jsonl"));
    m << R"({"name": "a", "kind": "random", "origin": "x", "file": "", "noise": 0})"
      << "\n";
    m << R"({"name": "b", "kind": "bc", "origin": "x", "file": "missing.a2wp", "noise": 0})"
      << "\n";
  }
  CHECK(has(message_of<InvalidArgument>([&] { wm::read_zoo_manifest(dir.str("zoo/broken.jsonl")); }),
            "broken.jsonl:2: policy 'b' names the file"));
  {
    std::ofstream m(dir.str("zoo/broken.jsonl"));
    m << R"({"name": "a", "kind": "diffusion", "origin": "x", "file": "", "noise": 0})"
      << "\n";
  }
  CHECK(has(message_of<InvalidArgument>([&] { wm::read_zoo_manifest(dir.str("zoo/broken.jsonl")); }),
            "expected kind bc, a2w-policy or random"));
  CHECK(wm::is_zoo_manifest("zoo/manifest.jsonl"));
  CHECK_FALSE(wm::is_zoo_manifest("bc.a2wp"));

  // A second architecture: an A2World-policy run with its own snapshots and the same noise variants.
  auto both = job;
  both.out_dir = dir.str("zoo2");
  both.snapshots = {};
  both.noise = {0.2};
  both.random = false;
  both.a2w_policy = tiny_a2w_job(dataset().str("data"), "", 4);
  both.a2w_policy_snapshots = {2};
  const auto zoo2 = wm::build_policy_zoo(both);
  std::vector<std::string> got;
  for (const auto& e : zoo2.entries) got.push_back(e.name + ":" + e.kind);
  CHECK(got == std::vector<std::string>{"bc_step12:bc", "bc_step12@0.2:bc", "a2wp_step2:a2w-policy",
                                        "a2wp_step4:a2w-policy", "a2wp_step4@0.2:a2w-policy"});
  CHECK(dynamic_cast<wm::A2WorldPolicy*>(wm::load_policy(dir.str("zoo2/a2wp_step2.a2wp")).get()) != nullptr);
  CHECK(wm::zoo_policy_names(zoo2.manifest).back() == dir.str("zoo2/a2wp_step4.a2wp") + "@0.2");
}

TEST_CASE("BC policy training keeps successful episodes, reads held-out data, and refuses bad input") {
  wmtest::TempDir dir("bc_data");
  auto job = tiny_job(dataset().str("data"), dir.str("p.a2wp"), 4);
  job.eval_data = {dataset().str("data/lift_b.hdf5")};
  const auto r = wm::train_bc(job);
  CHECK(r.episodes == 4);  // episode 2 of lift_a failed
  CHECK(r.samples == 14 + 14 + 10 + 10);
  REQUIRE_FALSE(r.eval.empty());
  CHECK(env::get(r.eval, "samples").as_int() == 20);
  CHECK(env::get(r.eval, "action_mae").as_double() > 0);
  CHECK(env::get(r.eval, "action_mae_per_dim").as_list().size() == 7);
  CHECK(r.to_dict().count("eval") == 1);
  CHECK(has(r.to_text(), "held-out"));

  job.successful_only = false;
  job.eval_data.clear();
  CHECK(wm::train_bc(job).episodes == 5);

  // A data set without proprio, a resume onto a file of another kind, a failed-only data set.
  wmtest::write_dataset(dir.str("noproprio.hdf5"), kTask, 1, 6);
  job.data = {dir.str("noproprio.hdf5")};
  CHECK(has(message_of<InvalidArgument>([&] { wm::train_bc(job); }), "obs/ee_pos"));
  write_policy_dataset(dir.str("failed.hdf5"), kTask, 2, 6, 0, {0, 1});
  job.data = {dir.str("failed.hdf5")};
  job.successful_only = true;
  CHECK(has(message_of<InvalidArgument>([&] { wm::train_bc(job); }), "no successful episode"));
  wm::Checkpoint world_model;
  world_model.meta = {{"step", 3}};
  world_model.tensors["model/x"] = torch::zeros({2});
  wm::write_checkpoint(dir.str("wm.a2wm"), world_model);
  job.data = {dataset().str("data")};
  job.out = dir.str("wm.a2wm");
  job.resume = true;
  CHECK(has(message_of<InvalidArgument>([&] { wm::train_bc(job); }), "not a BC policy checkpoint"));
}

TEST_CASE("load_policy refuses world-model checkpoints, corrupt files and unknown files") {
  wmtest::TempDir dir("policy_loader");
  wm::Checkpoint world_model;
  world_model.meta = {{"step", 3}};
  world_model.tensors["model/x"] = torch::zeros({2});
  wm::write_checkpoint(dir.str("wm.a2wm"), world_model);
  const auto m1 = message_of<InvalidArgument>([&] { wm::load_policy(dir.str("wm.a2wm")); });
  CHECK(has(m1, "kind 'bc'"));
  CHECK(has(m1, "world-model"));
  world_model.meta["kind"] = "diffusion-policy";
  wm::write_checkpoint(dir.str("other.a2wp"), world_model);
  CHECK(has(message_of<InvalidArgument>([&] { wm::load_policy(dir.str("other.a2wp")); }),
            "kind 'diffusion-policy'"));
  world_model.meta["kind"] = "a2w-policy";  // the kind, but not the file
  wm::write_checkpoint(dir.str("broken.a2wp"), world_model);
  CHECK(has(message_of<InvalidArgument>([&] { wm::load_policy(dir.str("broken.a2wp")); }), "policy_config"));

  // One flipped byte in a trained policy: the checksum catches it.
  fs::copy_file(trained_policy(), dir.str("corrupt.a2wp"));
  {
    std::fstream f(dir.str("corrupt.a2wp"), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(fs::file_size(dir.str("corrupt.a2wp")) / 2));
    f.put('\x5a');
  }
  CHECK(has(message_of<InvalidArgument>([&] { wm::load_policy(dir.str("corrupt.a2wp")); }), "corrupt.a2wp"));

  std::ofstream(dir.str("notes.txt")) << "not a policy";
  CHECK(has(message_of<InvalidArgument>([&] { wm::load_policy(dir.str("notes.txt")); }), "got neither"));
  CHECK(has(message_of<NotFound>([&] { wm::load_policy(dir.str("missing.a2wp")); }), "missing.a2wp"));

  CHECK(wm::is_policy_file("runs/x.a2wp"));
  CHECK(wm::is_policy_file("x.pt"));
  CHECK(wm::is_policy_file(dir.str("notes.txt")));
  CHECK_FALSE(wm::is_policy_file("random"));
  CHECK_FALSE(wm::is_policy_file("zmq://127.0.0.1:5555"));
}

TEST_CASE("TorchScript policy with the documented signature acts on the right inputs") {
  auto one = wm::load_policy(module("one_action.pt"));
  const Dict obs = observation(3, 2, 1);
  const Array a = one->act(obs);
  REQUIRE(a.shape() == env::Shape{3, 7});
  const auto t = tensor_of(a);
  const auto mean = [&](const char* key, int row) {
    const auto& v = obs.at(key).as_array();
    const std::uint8_t* p = v.data<std::uint8_t>() + row * kSize * kSize * 3;
    double s = 0;
    for (int i = 0; i < kSize * kSize * 3; ++i) s += p[i];
    return s / (kSize * kSize * 3) / 255.0;
  };
  for (int r = 0; r < 3; ++r) {
    CHECK(t[r][0].item<double>() == doctest::Approx(mean("agentview_rgb", r)).epsilon(1e-5));
    CHECK(t[r][1].item<double>() == doctest::Approx(mean("eye_in_hand_rgb", r)).epsilon(1e-5));
    for (int j = 0; j < 3; ++j) CHECK(t[r][2 + j].item<float>() == ee(2, 1 + r, j));
    CHECK(t[r][5].item<float>() == gripper(1 + r));
    CHECK(t[r][6].item<float>() == 1.0f);  // the module says 2: clipped
  }

  // A chunk module with image_size 16 gets 32 x 32 frames resized to 16 x 16.
  auto chunk = wm::load_policy(module("chunk.pt"));
  const Array c = chunk->act(observation(2, 0, 0, 32));
  REQUIRE(c.shape() == env::Shape{2, 4, 7});
  const auto ct = tensor_of(c);
  for (int h = 0; h < 4; ++h) CHECK(ct[1][h][6].item<float>() == -1.0f + 0.25f * static_cast<float>(h));
}

TEST_CASE("TorchScript policy with a wrong signature is refused, naming the expected inputs and outputs") {
  for (const char* name : {"bad_signature.pt", "tuple_output.pt", "wrong_width.pt"}) {
    CAPTURE(name);
    const auto m = message_of<InvalidArgument>([&] { wm::load_policy(module(name)); });
    CHECK(has(m, name));
    CHECK(has(m, "agentview_rgb: uint8 [B, H, W, 3]"));
    CHECK(has(m, "eye_in_hand_rgb: uint8 [B, H, W, 3]"));
    CHECK(has(m, "proprio: float32 [B, 8]"));
    CHECK(has(m, "float32 [B, 7] or [B, Ha, 7]"));
  }
  CHECK(has(message_of<InvalidArgument>([&] { wm::load_policy(module("bad_signature.pt")); }),
            "forward(x: Tensor)"));
  CHECK(has(message_of<InvalidArgument>([&] { wm::load_policy(module("tuple_output.pt")); }),
            "(Tensor, Tensor)"));
  CHECK(has(message_of<InvalidArgument>([&] { wm::load_policy(module("wrong_width.pt")); }), "[2, 6]"));
}

TEST_CASE("instruction tokenizer: words, vocabulary, unknown words left out") {
  CHECK(wm::InstructionTokenizer::words("Lift the RED cube!") ==
        std::vector<std::string>{"lift", "the", "red", "cube"});
  CHECK(wm::InstructionTokenizer::words("  ").empty());
  const auto vocab = wm::InstructionTokenizer::vocabulary_of({"push the cube", "Lift the cube"});
  CHECK(vocab == std::vector<std::string>{"cube", "lift", "push", "the"});
  const wm::InstructionTokenizer t({"lift", "the", "red", "cube"});
  CHECK(t.size() == 6);
  CHECK(t.encode("Lift the RED cube!", 6) == std::vector<std::int64_t>{2, 3, 4, 5, 0, 0});
  CHECK(t.encode("lift the shiny cube", 6) == std::vector<std::int64_t>{2, 3, 5, 0, 0, 0});
  CHECK(t.encode("lift the red cube", 2) == std::vector<std::int64_t>{2, 3});
  CHECK(t.encode("", 3) == std::vector<std::int64_t>{0, 0, 0});
  CHECK(t.encode("\xff\xfe unknown", 2) == std::vector<std::int64_t>{0, 0});
}

TEST_CASE("A2World-policy: config, training, round trip, determinism and unknown words") {
  auto c = wm::A2WorldPolicyConfig::preset("tiny");
  CHECK(c.chunk() == 4);
  c.vocabulary = {"lift", "cube"};
  const auto back = wm::A2WorldPolicyConfig::from_dict(c.to_dict(), c.trunk);
  CHECK(back.vocabulary == c.vocabulary);
  CHECK(back.execute == c.execute);
  auto bad = c;
  bad.execute = 9;
  CHECK(has(message_of<InvalidArgument>([&] { bad.validate(); }), "expected execute in [1, chunk = 4]"));
  CHECK(has(message_of<InvalidArgument>([] { wm::A2WorldPolicyConfig::preset("huge"); }),
            "expected tiny or cpu"));

  const auto& path = trained_a2w_policy();
  auto p1 = wm::A2WorldPolicy::load(path);
  auto p2 = wm::A2WorldPolicy::load(path);
  CHECK(p1->config().vocabulary == std::vector<std::string>{"cube", "lift", "the"});
  const Dict obs = a2w_observation(2);
  p1->reset({true, true});
  p2->reset({true, true});
  const Array a1 = p1->act(obs);
  CHECK(a1.shape() == env::Shape{2, 2, 7});
  for (std::int64_t i = 0; i < a1.size(); ++i) {
    CHECK(a1.data<float>()[i] >= -1.0f);
    CHECK(a1.data<float>()[i] <= 1.0f);
  }
  CHECK(p2->act(obs).equals(a1));  // seeded: the same file, the same actions

  // Saved and loaded again: the same actions.
  wmtest::TempDir dir("a2w_policy_roundtrip");
  p1->save(dir.str("again.a2wp"));
  auto p3 = wm::A2WorldPolicy::load(dir.str("again.a2wp"));
  p3->reset({true, true});
  CHECK(p3->act(obs).equals(a1));

  // Unknown words are left out, not an error: the same actions as without them.
  auto p4 = wm::A2WorldPolicy::load(path);
  auto p5 = wm::A2WorldPolicy::load(path);
  p4->reset({true, true});
  p5->reset({true, true});
  CHECK(p4->act(a2w_observation(2, "lift the zorblax cube"))
            .equals(p5->act(a2w_observation(2, "lift the cube"))));
  auto p6 = wm::A2WorldPolicy::load(path);
  p6->reset({true, true});
  CHECK(p6->act(a2w_observation(2, "")).shape() == env::Shape{2, 2, 7});

  // A missing key is named; a world model is not a policy.
  Dict missing = a2w_observation(2);
  missing.erase("joint_states");
  CHECK(has(message_of<InvalidArgument>([&] { p1->act(missing); }), "'joint_states'"));
  CHECK(
      has(message_of<InvalidArgument>([&] { wm::A2WorldPolicy::load(trained_policy()); }), "meta kind 'bc'"));
  CHECK(dynamic_cast<wm::A2WorldPolicy*>(wm::load_policy(path).get()) != nullptr);
}

TEST_CASE(
    "A2World-policy in a batch: a row that discards an output keeps its state; noise follows the episode") {
  const auto& path = trained_a2w_policy();
  const Dict obs = a2w_observation(2);
  const auto row = [](const Array& a, std::int64_t i) { return a.row(i).clone(); };
  // b asks for both rows twice; a asks for row 0 alone first, the way the rollout loop asks when only one env
  // has run out of its chunk.
  auto a = wm::A2WorldPolicy::load(path), b = wm::A2WorldPolicy::load(path);
  a->reset({true, true}, {5, 9});
  b->reset({true, true}, {5, 9});
  const Array a1 = a->act_rows(obs, {true, false});
  const Array b1 = b->act_rows(obs, {true, true});
  CHECK(a1.shape() == env::Shape{2, 2, 7});
  // Imagined alone (a batch of one) rather than beside row 1: the same up to the matrix products' rounding.
  for (std::int64_t j = 0; j < 14; ++j)
    CHECK(a1.row(0).data<float>()[j] == doctest::Approx(b1.row(0).data<float>()[j]).epsilon(1e-4));
  for (std::int64_t j = 0; j < 14; ++j) CHECK(a1.row(1).data<float>()[j] == 0.0f);
  const Array a2 = a->act_rows(obs, {true, true});
  const Array b2 = b->act_rows(obs, {true, true});
  CHECK(row(a2, 0).equals(row(b2, 0)));  // row 0's second chunk
  CHECK(row(a2, 1).equals(row(b1, 1)));  // row 1's first: its skipped call did not count
  CHECK_FALSE(row(b1, 1).equals(row(b2, 1)));

  // The episode's seed, not the slot, picks the noise: the same episodes (seeds and observations) in swapped
  // slots.
  Dict swapped = obs;
  for (auto& [key, value] : swapped) {
    if (!value.is_array()) continue;
    const Array& from = obs.at(key).as_array();
    Array x = from.clone();
    x.row(0).copy_from(from.row(1));
    x.row(1).copy_from(from.row(0));
    value = x;
  }
  auto c = wm::A2WorldPolicy::load(path);
  c->reset({true, true}, {9, 5});
  const Array c1 = c->act(swapped);
  CHECK(row(c1, 0).equals(row(b1, 1)));
  CHECK(row(c1, 1).equals(row(b1, 0)));
  CHECK_THROWS_AS(a->act_rows(obs, {true}), InvalidArgument);
}

TEST_CASE("A2World-policy's initial noise: at 0 the chunk depends far less on the episode seed than at 1") {
  const auto& path = trained_a2w_policy();
  const Dict obs = a2w_observation(2);
  auto chunk = [&](double initial_noise, std::uint64_t episode_seed) {
    wm::A2WorldPolicyOptions o;
    o.initial_noise = initial_noise;
    auto p = wm::A2WorldPolicy::load(path, o);
    p->reset({true, true}, {episode_seed, episode_seed});
    return p->act(obs);
  };
  auto spread = [&](double initial_noise) {
    const Array a = chunk(initial_noise, 5), b = chunk(initial_noise, 9);
    float most = 0;
    for (std::int64_t i = 0; i < a.size(); ++i)
      most = std::max(most, std::abs(a.data<float>()[i] - b.data<float>()[i]));
    return most;
  };
  const float sampled = spread(1.0), centred = spread(0.0);
  CAPTURE(sampled);
  CAPTURE(centred);
  CHECK(sampled > 0.0f);
  CHECK(centred < 0.1f * sampled);
  CHECK(chunk(0.0, 5).equals(chunk(0.0, 5)));
  wm::A2WorldPolicyOptions bad;
  bad.initial_noise = -0.5;
  CHECK(has(message_of<InvalidArgument>([&] { wm::A2WorldPolicy::load(path, bad); }),
            "expected initial_noise in [0, 1000], got -0.5"));
}

TEST_CASE("A2World-policy learns its data: after training, the chunk it samples is the recorded one") {
  // Trained on one episode (no recorded state: the proprio input is zero in training, so here too) and
  // asked at its first step: the sampled chunk should be the episode's first actions, far closer than its
  // mean action is. This checks the whole inference path against the training one:
  // context, anchor, state, instruction, standardisation, the sampler.
  wmtest::TempDir dir("a2w_policy_learns");
  write_policy_dataset(dir.str("one.hdf5"), kTask, 1, 12);
  auto job = tiny_a2w_job(dir.str("one.hdf5"), dir.str("p.a2wp"), 400);
  job.batch_size = 12;
  job.lr = 3e-3;
  const auto report = wm::train_a2world_policy(job);
  CHECK(report.curve.back().action_loss < 0.5 * report.curve.front().action_loss);
  auto policy = wm::A2WorldPolicy::load(dir.str("p.a2wp"));
  Dict obs = observation(1, 0, 0);  // episode 0, step 0
  obs["instruction"] = env::List{std::string("lift the cube")};
  obs["joint_states"] = Array(DType::kFloat32, {1, 7});
  for (const char* key : {"ee_pos", "ee_ori", "gripper_states", "joint_states"}) {
    Array a(DType::kFloat32, obs.at(key).as_array().shape());
    std::memset(a.raw(), 0, a.nbytes());
    obs[key] = a;
  }
  policy->reset({true});
  const torch::Tensor chunk = policy->predict(obs);  // [1, 4, 7]
  double err = 0, base = 0, mean[7] = {};
  int n = 0;
  for (std::int64_t t = 0; t < 12; ++t, ++n)
    for (int j = 0; j < 7; ++j) mean[j] += action(0, t, 12, j);
  for (int j = 0; j < 7; ++j) mean[j] /= n;
  for (int t = 0; t < 4; ++t)
    for (int j = 0; j < 7; ++j) {
      const double want = action(0, t, 12, j);
      err += std::abs(chunk[0][t][j].item<float>() - want);
      base += std::abs(mean[j] - want);
    }
  CAPTURE(err);
  CAPTURE(base);
  CHECK(err < 0.5 * base);
}

TEST_CASE("A2World-policy from a pretrained A2World: the trunk starts from its weights") {
  wmtest::TempDir dir("a2w_policy_init");
  // A "pretrained" tiny world model at the data's size (its weights are what matters here, not training).
  auto wc = wm::WorldModelConfig::preset("tiny");
  torch::manual_seed(3);
  wm::A2WorldNet world(wc);
  wm::Checkpoint ck;
  ck.config = wc;
  wm::add_module(ck, *world, "model/");
  wm::add_module(ck, *world, "ema/");
  wm::add_normalizer(ck, wm::StateNormalizer::identity(wc.state_dim));
  wm::write_checkpoint(dir.str("pre.a2wm"), ck);

  auto job = tiny_a2w_job(dataset().str("data"), dir.str("init.a2wp"), 1);
  job.from = dir.str("pre.a2wm");
  job.lr = 1e-12;  // one step that changes (almost) nothing
  const auto report = wm::train_a2world_policy(job);
  CHECK(report.from == job.from);
  // Only the action-conditioning MLP's input (a chunk of 4 actions, not 1) has another shape.
  CHECK(std::find(report.fresh.begin(), report.fresh.end(), "action_fc1.weight") != report.fresh.end());
  CHECK(std::find(report.fresh.begin(), report.fresh.end(), "block0.qkv.weight") == report.fresh.end());
  const auto policy = wm::read_checkpoint(dir.str("init.a2wp"));
  const auto& w = world->named_parameters()["position"];
  CHECK(torch::allclose(policy.at("model/trunk.position"), w, 1e-5, 1e-6));

  auto wrong = job;
  wrong.from = trained_policy();  // a policy, not a world model
  CHECK(has(message_of<InvalidArgument>([&] { wm::train_a2world_policy(wrong); }),
            "expected a pretrained A2World"));
}

TEST_CASE("BC and TorchScript policies step a physics task") {
  auto envs = physics(2, 5);
  for (const std::string& path :
       {trained_policy(), module("one_action.pt"), module("chunk.pt"), trained_a2w_policy()}) {
    CAPTURE(path);
    auto loaded = wm::load_policy(path, envs.get());
    if (auto* bc = dynamic_cast<wm::BCPolicy*>(loaded.get())) CHECK(bc->task_row() == 0);
    CheckedPolicy policy(std::move(loaded));
    const auto eps = roll(*envs, policy, 3);
    REQUIRE(eps.size() == 3);
    for (const auto& e : eps) {
      CHECK(e.length <= 5);
      CHECK((e.terminated || e.truncated));
    }
    CHECK_FALSE(policy.shapes.empty());
  }
  envs->close();
}

TEST_CASE("BC and TorchScript policies step A2World-sim (fake world model)") {
  auto envs = imagined(2, 4);
  CHECK(envs->single_spec().id == "a2w-sim/LiftCube-v0");
  for (const std::string& path :
       {trained_policy(), module("one_action.pt"), module("chunk.pt"), trained_a2w_policy()}) {
    CAPTURE(path);
    auto loaded = wm::load_policy(path, envs.get());
    if (auto* bc = dynamic_cast<wm::BCPolicy*>(loaded.get())) CHECK(bc->task_row() == 0);
    CheckedPolicy policy(std::move(loaded));
    const auto eps = roll(*envs, policy, 3);
    REQUIRE(eps.size() == 3);
    for (const auto& e : eps) {
      CHECK(e.length <= 4);
      CHECK(e.final_info.at("imagined").as_bool());
    }
    CHECK_FALSE(policy.shapes.empty());
  }
  envs->close();
}
