// Bring your own model: TorchScript modules exported by Debian's python3-torch at test time
// (export_torchscript_models.py) stand in for A2World inside A2World-sim; modules that do not fit the
// documented signature are refused. Without python3-torch these tests fail: they never pass silently.

#include <doctest/doctest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "a2w/env/registry.h"
#include "a2w/tasks/tasks.h"
#include "a2w/wm/register_sim.h"
#include "a2w/wm/torchscript_world_model.h"
#include "a2w/wm/world_model_env.h"

using namespace a2w;
using a2w::env::Array;
using a2w::env::DType;

namespace {

namespace fs = std::filesystem;
constexpr const char* kPython = "/usr/bin/python3";

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

// Runs a shell command; returns its exit status and combined output.
std::pair<int, std::string> run(const std::string& command) {
  std::string out;
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  if (!p) return {-1, "popen failed"};
  char buf[512];
  while (std::fgets(buf, sizeof buf, p)) out += buf;
  const int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

// A temporary folder removed when the test process ends.
struct TempDir {
  fs::path path;
  ~TempDir() {
    std::error_code ec;
    if (!path.empty()) fs::remove_all(path, ec);
  }
};

// The exported modules, once per test process, in a fresh temporary folder.
const fs::path& modules() {
  static const TempDir dir{[] {
    if (!fs::exists(kPython))
      FAIL("no " << kPython << ": install Debian's python3 and python3-torch (scripts/setup.sh)");
    const auto [rc, out] = run(std::string(kPython) + " -c 'import torch'");
    if (rc != 0)
      FAIL(
          kPython
          << " cannot import torch; install python3-torch (apt-get install python3-torch, scripts/setup.sh): "
          << out);
    const fs::path d = fs::temp_directory_path() / ("a2w_torchscript_" + std::to_string(::getpid()));
    fs::remove_all(d);
    const std::string script = std::string(A2W_SOURCE_DIR) + "/tests/worldmodel/export_torchscript_models.py";
    const auto [rc2, out2] = run(std::string(kPython) + " " + script + " " + d.string());
    if (rc2 != 0) FAIL("exporting the TorchScript test modules failed (" << rc2 << "): " << out2);
    return d;
  }()};
  return dir.path;
}

std::string module(const char* name) {
  return (modules() / name).string();
}

wm::WorldModelEnvOptions lift_options(int n = 1) {
  tasks::register_tasks();
  wm::WorldModelEnvOptions o;
  o.task = "a2w/LiftCube-v0";
  o.num_envs = n;
  o.autoreset_mode = env::AutoresetMode::kDisabled;
  return o;
}

Array action(float gripper, float x = 0.0f) {
  return Array::from<float>({x, 0, 0, 0, 0, 0, gripper}, {7});
}

}  // namespace

TEST_CASE("a TorchScript module with the documented signature loads with its attributes as the config") {
  const auto model = wm::load_torchscript_world_model(module("copy_last.pt"));
  const wm::WorldModelConfig& c = model->config();
  CHECK(c.image_size == 32);
  CHECK(c.views == 2);
  CHECK(c.context_frames == 2);
  CHECK(c.action_horizon == 1);
  CHECK(c.action_dim == 7);
  CHECK(c.state_dim == 32);
  CHECK(c.view_keys == std::vector<std::string>{"agentview_rgb", "eye_in_hand_rgb"});
  CHECK(c.tasks == std::vector<std::string>{"a2w/LiftCube-v0"});
  CHECK(model->device() == torch::Device(torch::kCPU));
}

TEST_CASE("a TorchScript world model steps a WorldModelEnv") {
  wm::WorldModelEnv sim(wm::load_torchscript_world_model(module("copy_last.pt")), lift_options());
  const auto r = sim.reset(std::uint64_t{5});
  auto s = sim.step(action(-1.0f, 0.25f));
  // The module returns the last context frame: u8 -> [-1, 1] -> u8 is exact.
  for (const char* view : {"agentview_rgb", "eye_in_hand_rgb"})
    CHECK(s.obs.at(view).as_array().equals(r.obs.at(view).as_array()));
  // Its state is 0.01 * index: proprio from the state vector layout, clipped into the observation space.
  const auto js = s.obs.at("joint_states").as_array().span<float>();
  for (int i = 0; i < 7; ++i) CHECK(js[static_cast<std::size_t>(i)] == doctest::Approx(0.01 * i));
  CHECK(s.obs.at("ee_pos").as_array().span<float>()[0] == doctest::Approx(0.09));
  CHECK(s.obs.at("ee_ori").as_array().span<float>()[2] == doctest::Approx(0.14));
  CHECK(s.obs.at("gripper_states").as_array().span<float>()[0] <= 0.051f);  // 0.07 clipped to the Box
  CHECK(s.info.at("state/vector").as_array().span<float>()[7] == doctest::Approx(0.07));
  // success_logit = 10 * gripper, reward = action[0] + task row (LiftCube is row 0).
  CHECK(s.info.at("success_head").as_double() == doctest::Approx(1.0 / (1.0 + std::exp(10.0))));
  CHECK(s.info.at("reward_head").as_double() == doctest::Approx(0.25));
  CHECK_FALSE(s.terminated);

  auto o = lift_options();
  o.terminate_on = wm::TerminateOn::kHead;
  wm::WorldModelEnv head(wm::load_torchscript_world_model(module("copy_last.pt")), o);
  head.reset(std::uint64_t{5});
  CHECK(head.step(action(1.0f)).terminated);
}

TEST_CASE("a TorchScript world model through the registry: a2w-sim ids take it as their checkpoint") {
  tasks::register_tasks();
  wm::register_sim_envs();
  auto sim = a2w::make("a2w-sim/LiftCube-v0", {{"checkpoint", module("copy_last.pt")}, {"horizon", 2}});
  CHECK(sim->spec().id == "a2w-sim/LiftCube-v0");
  CHECK(sim->spec().max_episode_steps == 2);
  sim->reset(std::uint64_t{1});
  CHECK_FALSE(sim->step(action(-1)).truncated);
  CHECK(sim->step(action(-1)).truncated);
  CHECK(has(message_of<InvalidArgument>([] {
              a2w::make("a2w-sim/LiftCube-v0", {{"checkpoint", module("copy_last.pt")}, {"image_size", 64}});
            }),
            "imagines 32x32"));
}

TEST_CASE("each row's noise comes from its own seed: the same frames in batch 1 and batch 3") {
  auto model = wm::load_torchscript_world_model(module("noisy.pt"));
  wm::WorldModelVectorEnv three(model, lift_options(3));
  const Array first = three.reset(std::uint64_t{8}).obs.at("agentview_rgb").as_array().row(2).clone();
  wm::WorldModelVectorEnv one(model, lift_options(1));
  one.reset({true}, {env::episode_seed(8, 2, 0)});
  Array a3(DType::kFloat32, {3, 7}), a1(DType::kFloat32, {1, 7});
  for (int t = 0; t < 3; ++t) {
    const Array f3 = three.step(a3).obs.at("agentview_rgb").as_array().row(2).clone();
    const auto& s1 = one.step(a1);
    CHECK(s1.obs.at("agentview_rgb").as_array().row(0).equals(f3));
    if (t == 0) CHECK_FALSE(f3.equals(first));  // the noise did change the frame
  }
}

TEST_CASE("modules that do not fit the signature are refused with what was expected") {
  const std::string sig =
      message_of<InvalidArgument>([] { wm::load_torchscript_world_model(module("bad_signature.pt")); });
  CHECK(has(sig, "bad_signature.pt"));
  CHECK(has(sig, "forward(x: Tensor) does not fit"));
  CHECK(has(sig, "expected forward(context: float32 [B, V, K, 3, H, W]"));

  const std::string three =
      message_of<InvalidArgument>([] { wm::load_torchscript_world_model(module("three_outputs.pt")); });
  CHECK(has(three, "forward returned Tuple of 3 elements"));
  CHECK(has(three, "success_logit: float32 [B]"));

  CHECK(has(message_of<InvalidArgument>([] { wm::load_torchscript_world_model(module("no_attributes.pt")); }),
            "missing attribute 'image_size'"));

  const fs::path junk = modules() / "junk.pt";
  std::ofstream(junk) << "not a module";
  CHECK(has(message_of<InvalidArgument>([&] { wm::load_torchscript_world_model(junk.string()); }),
            "not a loadable TorchScript module"));

  // A module consistent with itself but predicting another state layout: A2World-sim cannot judge it.
  const auto state31 = wm::load_torchscript_world_model(module("state31.pt"));
  CHECK(state31->config().state_dim == 31);
  CHECK(has(message_of<InvalidArgument>([&] { wm::WorldModelVectorEnv v(state31, lift_options()); }),
            "state_dim 31"));
}
