// Recording: DatasetWriter/DatasetReader (HDF5, LIBERO/robomimic layout), RecordEpisode, VideoWriter,
// RecordVideo, side_by_side. A tiny deterministic env stands in for a task, so every recorded value can be
// recomputed here and compared exactly.

#include <doctest/doctest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "a2w/env/hdf5_reader.h"
#include "a2w/env/hdf5_writer.h"
#include "a2w/env/json.h"
#include "a2w/env/record_episode.h"
#include "a2w/env/space.h"
#include "a2w/env/video_writer.h"

namespace {

using namespace a2w::env;
namespace fs = std::filesystem;

constexpr const char* kInstruction = "pick up the cube";

// Pixel i (flat index into [H, W, 3]) of the image seen at step t of the episode with this seed.
std::uint8_t pixel(std::uint64_t seed, std::int64_t t, std::int64_t i) {
  return static_cast<std::uint8_t>(
      (seed * 31 + static_cast<std::uint64_t>(t) * 7 + static_cast<std::uint64_t>(i)) % 256);
}

Array image(std::uint64_t seed, std::int64_t t, int height, int width) {
  Array a(DType::kUInt8, Shape{height, width, 3});
  for (std::int64_t i = 0; i < a.size(); ++i) a.data<std::uint8_t>()[i] = pixel(seed, t, i);
  return a;
}

Array ee_pos(std::uint64_t seed, std::int64_t t) {
  return Array::from<float>(
      {static_cast<float>(t), static_cast<float>(seed % 100), 0.5f * static_cast<float>(t)}, Shape{3});
}

// Privileged state after `t` steps: two objects, [x y z qw qx qy qz].
Array object_poses(std::int64_t t) {
  std::vector<float> v(14);
  for (int j = 0; j < 14; ++j)
    v[static_cast<std::size_t>(j)] = static_cast<float>(t) + 0.25f * static_cast<float>(j);
  return Array::from(v, Shape{2, 7});
}

Array action_at(std::int64_t t) {
  std::vector<float> v(7);
  for (int k = 0; k < 7; ++k)
    v[static_cast<std::size_t>(k)] = 0.01f * static_cast<float>(t) + 0.1f * static_cast<float>(k - 3);
  return Array::from(v, Shape{7});
}

float reward_at(std::int64_t t) {
  return 0.5f * static_cast<float>(t + 1);
}

// Episodes of `length` steps that terminate at the end; success from step length - 1 on.
class FakeEnv final : public Env {
 public:
  explicit FakeEnv(int length, int height = 8, int width = 8)
      : length_(length), height_(height), width_(width) {
    spec_.id = "test/Fake-v0";
    spec_.observation_space = dict({{"agentview_rgb", box(0, 255, Shape{height, width, 3}, DType::kUInt8)},
                                    {"ee_pos", box(-1e9, 1e9, Shape{3})},
                                    {"instruction", text(64)}});
    spec_.action_space = box(-1, 1, Shape{7});
    spec_.max_episode_steps = length;
    spec_.control_hz = 20;
    spec_.metadata["render_fps"] = 10.0;
  }
  const EnvSpec& spec() const override { return spec_; }

  ResetResult reset(std::optional<std::uint64_t> seed, const Dict&) override {
    seed_ = seed.value_or(seed_ + 1);
    t_ = 0;
    running_ = true;
    return {obs(), Dict{{"state/object_poses", object_poses(0)}}};
  }

  StepResult step(const Array& action) override {
    if (!running_) throw a2w::Error("FakeEnv: expected reset() before step()");
    REQUIRE(action.equals(action_at(t_)));
    StepResult r;
    r.reward = reward_at(t_);
    ++t_;
    r.terminated = t_ == length_;
    running_ = !r.terminated;
    r.obs = obs();
    r.info["success"] = t_ >= length_ - 1;
    r.info["state/object_poses"] = object_poses(t_);
    r.info["other"] = Array::from<float>({1.0f, 2.0f});  // not under state/: not recorded
    return r;
  }

  Array render() override {
    return side_by_side({image(seed_, t_, height_, width_), image(seed_ + 1, t_, height_, width_)});
  }

 private:
  Dict obs() const {
    return Dict{{"agentview_rgb", image(seed_, t_, height_, width_)},
                {"ee_pos", ee_pos(seed_, t_)},
                {"instruction", kInstruction}};
  }

  EnvSpec spec_;
  int length_, height_, width_;
  std::uint64_t seed_ = 0;
  std::int64_t t_ = 0;
  bool running_ = false;
};

// Runs one whole episode (or `steps` steps of it) with the actions action_at(t).
void run_episode(Env& env, std::uint64_t seed, int steps = -1) {
  env.reset(seed);
  for (std::int64_t t = 0; steps < 0 || t < steps; ++t) {
    const StepResult r = env.step(action_at(t));
    if (r.terminated || r.truncated) break;
  }
}

// A fresh folder under /tmp, removed at the end of the test.
struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/a2w-recording-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

struct Command {
  int status;
  std::string output;
};

// Runs a shell command, capturing stdout and stderr together.
Command run(const std::string& cmd) {
  Command out{-1, {}};
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[4096];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.output.append(buf, n);
  const int status = pclose(p);
  out.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

bool has_h5py() {
  return run("/usr/bin/python3 -c 'import h5py'").status == 0;
}
bool has_program(const std::string& name) {
  return run("command -v " + name).status == 0;
}

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
}

// Checks demo `demo` of `reader` against what FakeEnv(length) produced with `seed`.
void check_demo(const DatasetReader& reader, const std::string& demo, std::uint64_t seed, int length) {
  CAPTURE(demo);
  REQUIRE(reader.num_samples(demo) == length);
  const Array frames = reader.read(demo, "obs/agentview_rgb");
  REQUIRE(frames.dtype() == DType::kUInt8);
  REQUIRE(frames.shape() == Shape{length, 8, 8, 3});
  const Array ee = reader.read(demo, "obs/ee_pos");
  REQUIRE(ee.dtype() == DType::kFloat32);
  const Array actions = reader.read(demo, "actions");
  REQUIRE(actions.shape() == Shape{length, 7});
  const Array rewards = reader.read(demo, "rewards");
  const Array dones = reader.read(demo, "dones");
  const Array success = reader.read(demo, "success");
  const Array poses = reader.read(demo, "state/object_poses");
  REQUIRE(poses.shape() == Shape{length, 2, 7});
  for (std::int64_t t = 0; t < length; ++t) {
    CAPTURE(t);
    CHECK(frames.row(t).equals(image(seed, t, 8, 8)));  // the observation before action t
    CHECK(ee.row(t).equals(ee_pos(seed, t)));
    CHECK(actions.row(t).equals(action_at(t)));
    CHECK(rewards.data<float>()[t] == reward_at(t));
    CHECK(dones.data<std::uint8_t>()[t] == (t == length - 1 ? 1 : 0));
    CHECK(success.data<std::uint8_t>()[t] == (t + 1 >= length - 1 ? 1 : 0));
    CHECK(poses.row(t).equals(object_poses(t + 1)));  // the state after action t
  }
  CHECK(reader.read(demo, "initial_state/object_poses").equals(object_poses(0)));  // the reset's
  CHECK(reader.attr_uint(demo, "seed") == seed);
  CHECK(reader.attr_int(demo, "seeded") == 1);
  CHECK(reader.attr_string(demo, "instruction") == kInstruction);
  CHECK(reader.attr_int(demo, "success") == 1);
  CHECK(reader.attr_int(demo, "terminated") == 1);
  CHECK(reader.attr_int(demo, "truncated") == 0);
}

Dict env_options() {
  return Dict{{"horizon", 4}, {"camera", "agentview"}, {"scale", 0.5}};
}

// Frame count, width and height of an mp4 as ffprobe decodes it.
struct Probe {
  std::int64_t frames = -1, width = -1, height = -1;
};
Probe probe(const fs::path& file) {
  const Command c =
      run("ffprobe -v error -count_frames -select_streams v:0 "
          "-show_entries stream=nb_read_frames,width,height -of default=noprint_wrappers=1 '" +
          file.string() + "'");
  INFO("ffprobe said: " << c.output);
  REQUIRE(c.status == 0);
  Probe p;
  std::size_t pos = 0;
  while (pos < c.output.size()) {
    const std::size_t end = std::min(c.output.find('\n', pos), c.output.size());
    const std::string line = c.output.substr(pos, end - pos);
    const std::size_t eq = line.find('=');
    if (eq != std::string::npos) {
      const std::string key = line.substr(0, eq);
      const std::int64_t value = std::atoll(line.c_str() + eq + 1);
      if (key == "nb_read_frames") p.frames = value;
      if (key == "width") p.width = value;
      if (key == "height") p.height = value;
    }
    pos = end + 1;
  }
  return p;
}

}  // namespace

TEST_CASE("RecordEpisode writes every finished episode and DatasetReader reads back exact values") {
  TempDir dir;
  {
    RecordEpisode env(std::make_unique<FakeEnv>(4), {.folder = dir.path / "demos",
                                                     .prefix = "fake",
                                                     .episodes_per_file = 2,
                                                     .env_options = env_options()});
    run_episode(env, 5);
    run_episode(env, 6);
    CHECK(fs::exists(dir.path / "demos" / "fake_00000.hdf5"));  // final after its second episode
    run_episode(env, 7);
    CHECK_FALSE(fs::exists(dir.path / "demos" / "fake_00001.hdf5"));  // still being written
    run_episode(env, 8, 2);                                           // unfinished at close(): dropped
    env.close();
    CHECK(env.episodes_recorded() == 3);
    REQUIRE(env.files().size() == 2);
  }
  DatasetReader first(dir.path / "demos" / "fake_00000.hdf5");
  CHECK(first.demo_names() == std::vector<std::string>{"demo_0", "demo_1"});
  CHECK(first.attr_int("total") == 8);
  CHECK(first.attr_int("a2w_format") == 1);
  CHECK(first.attr_string("task") == "test/Fake-v0");
  CHECK(first.attr_string("instruction") == kInstruction);
  {
    const Value env_args = parse_json(first.attr_string("env_args"));
    CHECK(get(env_args.as_dict(), "env_name").as_string() == "test/Fake-v0");
    const Dict& kwargs = get(env_args.as_dict(), "env_kwargs").as_dict();
    CHECK(kwargs.size() == 3);
    CHECK(get(kwargs, "camera").as_string() == "agentview");
    CHECK(get(kwargs, "horizon").is_int());
    CHECK(get(kwargs, "horizon").as_int() == 4);
    CHECK(get(kwargs, "scale").as_double() == 0.5);
  }
  CHECK(first.keys("demo_0") == std::vector<std::string>{"actions", "dones", "initial_state/object_poses",
                                                         "obs/agentview_rgb", "obs/ee_pos", "rewards",
                                                         "state/object_poses", "success"});
  check_demo(first, "demo_0", 5, 4);
  check_demo(first, "demo_1", 6, 4);

  DatasetReader second(dir.path / "demos" / "fake_00001.hdf5");
  CHECK(second.demo_names() == std::vector<std::string>{"demo_0"});
  CHECK(second.attr_int("total") == 4);
  check_demo(second, "demo_0", 7, 4);

  SUBCASE("a window of rows reads only those rows") {
    const Array window = first.read_rows("demo_1", "obs/agentview_rgb", 1, 3);
    REQUIRE(window.shape() == Shape{2, 8, 8, 3});
    CHECK(window.row(0).equals(image(6, 1, 8, 8)));
    CHECK(window.row(1).equals(image(6, 2, 8, 8)));
    CHECK(first.read_rows("demo_1", "actions", 4, 4).shape() == Shape{0, 7});
    CHECK_THROWS_AS(first.read_rows("demo_1", "actions", 2, 5), a2w::InvalidArgument);
    CHECK_THROWS_AS(first.read_rows("demo_1", "actions", 3, 2), a2w::InvalidArgument);
  }
}

TEST_CASE("DatasetWriter keeps every dtype and DatasetReader::read_demo returns the demo") {
  TempDir dir;
  Demo demo;
  demo.actions = Array::from<float>({0.f, 1.f, 2.f, 3.f, 4.f, 5.f}, Shape{3, 2});
  demo.rewards = Array::from<double>({0.5, -1.0, 2.25});
  demo.success = Array::from<bool>({false, true, false});
  demo.obs["flag"] = Array::from<bool>({true, false, true});
  demo.obs["joints"] = Array::from<double>({0.1, 0.2, 0.3, 0.4, 0.5, 0.6}, Shape{3, 2});
  demo.obs["count"] = Array::from<std::int32_t>({-7, 0, 7});
  demo.obs["ticks"] = Array::from<std::int64_t>({1ll << 40, 2, 3});
  demo.state["gray"] = Array(DType::kUInt8, Shape{3, 4, 5});  // uint8 rank 3: stored as frames
  demo.seed = std::numeric_limits<std::uint64_t>::max();
  demo.seeded = true;
  demo.instruction = "open the drawer \"slowly\"";
  demo.truncated = true;
  const fs::path file = dir.path / "types.hdf5";
  {
    DatasetWriter writer(file, {.env_id = "test/Types-v0"});
    CHECK(writer.append(demo) == "demo_0");
    CHECK(writer.append(demo) == "demo_1");
    CHECK_FALSE(fs::exists(file));
    CHECK(fs::exists(writer.temp_path()));
    writer.close();
    CHECK(fs::exists(file));
    CHECK_FALSE(fs::exists(writer.temp_path()));
    writer.close();  // a second close does nothing
  }
  DatasetReader reader(file);
  const Demo back = reader.read_demo("demo_1");
  CHECK(back.actions.equals(demo.actions));
  CHECK(back.rewards.equals(demo.rewards.astype(DType::kFloat32)));
  CHECK(back.success.equals(Array::from<std::uint8_t>({0, 1, 0})));
  REQUIRE(back.obs.size() == 4);
  for (const auto& [key, a] : demo.obs) {
    CAPTURE(key);
    CHECK(back.obs.at(key).equals(a));
  }
  CHECK(back.state.at("gray").equals(demo.state.at("gray")));
  CHECK(back.seed == demo.seed);
  CHECK(back.seeded);
  CHECK(back.instruction == demo.instruction);
  CHECK_FALSE(back.terminated);
  CHECK(back.truncated);
  CHECK(reader.attr_int("demo_1", "success") == 1);
  CHECK_THROWS_AS(reader.attr_int("demo_1", "seed"), a2w::InvalidArgument);  // above int64: attr_uint
  CHECK(get(parse_json(reader.attr_string("env_args")).as_dict(), "env_kwargs").as_dict().empty());

  SUBCASE("a malformed demo is refused before anything is written") {
    DatasetWriter writer(dir.path / "bad.hdf5");
    Demo bad = demo;
    bad.rewards = Array::from<float>({1.f, 2.f});
    CHECK_THROWS_AS(writer.append(bad), a2w::InvalidArgument);
    bad = demo;
    bad.obs["a/b"] = Array::from<float>({1.f, 2.f, 3.f});
    CHECK_THROWS_AS(writer.append(bad), a2w::InvalidArgument);
    bad = demo;
    bad.obs["short"] = Array::from<float>({1.f, 2.f});
    CHECK_THROWS_WITH_AS(writer.append(bad), doctest::Contains("short"), a2w::InvalidArgument);
    CHECK_THROWS_AS(writer.append(Demo{}), a2w::InvalidArgument);
    CHECK(writer.append(demo) == "demo_0");  // the refusals left nothing behind
    writer.close();
    CHECK(DatasetReader(dir.path / "bad.hdf5").demo_names() == std::vector<std::string>{"demo_0"});
  }
}

TEST_CASE("the dataset layout is what h5py (LIBERO, robomimic) expects") {
  if (!has_h5py()) {
    MESSAGE("skipped: /usr/bin/python3 has no h5py");
    return;
  }
  TempDir dir;
  {
    RecordEpisode env(
        std::make_unique<FakeEnv>(4),
        {.folder = dir.path, .prefix = "layout", .env_id = "a2w/Fake-v0", .env_options = env_options()});
    run_episode(env, 5);
    run_episode(env, 6);
  }  // the destructor finalises the file
  const fs::path script = dir.path / "check.py";
  write_file(script, R"(
import json, sys
import h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
d = f["data"]
assert sorted(d.keys()) == ["demo_0", "demo_1"], list(d.keys())
assert json.loads(d.attrs["env_args"]) == {
    "env_name": "a2w/Fake-v0", "env_kwargs": {"horizon": 4, "camera": "agentview", "scale": 0.5}}, d.attrs["env_args"]
assert d.attrs["total"] == 8, d.attrs["total"]
assert d.attrs["task"] == "a2w/Fake-v0", d.attrs["task"]
assert d.attrs["instruction"] == "pick up the cube", d.attrs["instruction"]
assert d.attrs["a2w_format"] == 1
T = 4
for name, seed in (("demo_0", 5), ("demo_1", 6)):
    g = d[name]
    assert g.attrs["num_samples"] == T
    assert g.attrs["seed"] == seed and g.attrs["seed"].dtype == np.uint64, g.attrs["seed"]
    assert g.attrs["instruction"] == "pick up the cube"
    assert g.attrs["success"] == 1 and g.attrs["terminated"] == 1 and g.attrs["truncated"] == 0
    assert g["actions"].dtype == np.float32 and g["actions"].shape == (T, 7), g["actions"]
    assert g["rewards"].dtype == np.float32 and g["rewards"].shape == (T,)
    assert g["dones"].dtype == np.uint8 and list(g["dones"][()]) == [0, 0, 0, 1], g["dones"][()]
    assert g["success"].dtype == np.uint8 and list(g["success"][()]) == [0, 0, 1, 1], g["success"][()]
    assert set(g["obs"].keys()) == {"agentview_rgb", "ee_pos"}, list(g["obs"].keys())
    img = g["obs/agentview_rgb"]
    assert img.dtype == np.uint8 and img.shape == (T, 8, 8, 3), img
    assert img.compression == "gzip" and img.compression_opts == 1 and img.shuffle, img.compression
    assert img.chunks == (1, 8, 8, 3), img.chunks
    for t in range(T):
        want = ((seed * 31 + t * 7 + np.arange(8 * 8 * 3)) % 256).astype(np.uint8).reshape(8, 8, 3)
        assert (img[t] == want).all(), (t, img[t])
    ee = g["obs/ee_pos"]
    assert ee.dtype == np.float32 and ee.shape == (T, 3) and ee.chunks is None
    assert ee[2].tolist() == [2.0, float(seed % 100), 1.0], ee[2]
    poses = g["state/object_poses"]
    assert poses.dtype == np.float32 and poses.shape == (T, 2, 7), poses
    assert poses[0, 1, 0] == 1 + 0.25 * 7, poses[0]
print("ok")
)");
  const Command c =
      run("/usr/bin/python3 '" + script.string() + "' '" + (dir.path / "layout_00000.hdf5").string() + "'");
  INFO("python said: " << c.output);
  CHECK(c.status == 0);
}

TEST_CASE("a killed recorder leaves earlier files intact and no half-written file under a final name") {
  TempDir dir;
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // Only _exit from here on: the child must not run doctest's or the parent's cleanup.
    try {
      RecordEpisode env(std::make_unique<FakeEnv>(4),
                        {.folder = dir.path, .prefix = "crash", .episodes_per_file = 2});
      run_episode(env, 5);
      run_episode(env, 6);  // closes file 0
      run_episode(env, 7);  // file 1 holds one demo and is open
      run_episode(env, 8, 2);
      raise(SIGKILL);
    } catch (...) {
      _exit(3);
    }
    _exit(4);
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  REQUIRE(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGKILL);

  DatasetReader reader(dir.path / "crash_00000.hdf5");
  CHECK(reader.demo_names() == std::vector<std::string>{"demo_0", "demo_1"});
  CHECK(reader.attr_int("total") == 8);
  check_demo(reader, "demo_0", 5, 4);
  check_demo(reader, "demo_1", 6, 4);
  CHECK_FALSE(fs::exists(dir.path / "crash_00001.hdf5"));
  // What the killed process was writing is only a temp file, which nothing reads.
  fs::path temp = dir.path / "crash_00001.hdf5";
  temp += ".tmp-" + std::to_string(child);
  CHECK(fs::exists(temp));
}

TEST_CASE("existing datasets are refused unless overwrite is set") {
  TempDir dir;
  const fs::path file = dir.path / "demos_00000.hdf5";
  write_file(file, "precious");
  CHECK_THROWS_WITH_AS(DatasetWriter{file}, doctest::Contains(file.c_str()), a2w::InvalidArgument);
  CHECK_THROWS_WITH_AS(RecordEpisode(std::make_unique<FakeEnv>(2), {.folder = dir.path}),
                       doctest::Contains("demos_00000.hdf5"), a2w::InvalidArgument);
  {
    std::ifstream in(file);
    std::string text;
    in >> text;
    CHECK(text == "precious");
  }
  {
    RecordEpisode env(std::make_unique<FakeEnv>(2), {.folder = dir.path, .overwrite = true});
    run_episode(env, 1);
    env.close();
  }
  DatasetReader reader(file);
  CHECK(reader.demo_names().size() == 1);
  check_demo(reader, "demo_0", 1, 2);
}

TEST_CASE("DatasetReader names the file and key of whatever is missing or malformed") {
  TempDir dir;
  const fs::path file = dir.path / "r.hdf5";
  {
    RecordEpisode env(std::make_unique<FakeEnv>(3), {.folder = dir.path, .prefix = "r"});
    run_episode(env, 2);
  }
  DatasetReader reader(dir.path / "r_00000.hdf5");
  CHECK_THROWS_WITH_AS(reader.read("demo_9", "actions"), doctest::Contains("demo_9"), a2w::NotFound);
  CHECK_THROWS_WITH_AS(reader.read("demo_0", "obs/nothing"), doctest::Contains("agentview_rgb"),
                       a2w::NotFound);
  CHECK_THROWS_WITH_AS(reader.read("demo_0", "obs/nothing"), doctest::Contains("r_00000.hdf5"),
                       a2w::NotFound);
  CHECK_THROWS_WITH_AS(reader.read("demo_0", "obs"), doctest::Contains("group"), a2w::InvalidArgument);
  CHECK_THROWS_WITH_AS(reader.attr_string("demo_0", "nope"), doctest::Contains("num_samples"), a2w::NotFound);
  CHECK_THROWS_WITH_AS(reader.attr_int("demo_0", "instruction"), doctest::Contains("string"),
                       a2w::InvalidArgument);
  CHECK_THROWS_AS(reader.attr_string("total"), a2w::InvalidArgument);
  CHECK(reader.has("demo_0", "obs/ee_pos"));
  CHECK_FALSE(reader.has("demo_0", "obs/nothing"));
  CHECK(reader.dtype("demo_0", "obs/agentview_rgb") == DType::kUInt8);
  CHECK(reader.shape("demo_0", "obs/ee_pos") == Shape{3, 3});

  CHECK_THROWS_AS(DatasetReader(dir.path / "missing.hdf5"), a2w::NotFound);
  write_file(file, "not hdf5 at all");
  CHECK_THROWS_WITH_AS(DatasetReader{file}, doctest::Contains("r.hdf5"), a2w::InvalidArgument);

  if (!has_h5py()) {
    MESSAGE("skipped the malformed-file checks: /usr/bin/python3 has no h5py");
    return;
  }
  const fs::path bad = dir.path / "bad.hdf5";
  const Command c =
      run("/usr/bin/python3 -c '"
          "import h5py, numpy as np, sys\n"
          "f = h5py.File(sys.argv[1], \"w\")\n"
          "g = f.create_group(\"data/demo_0\")\n"
          "g.attrs[\"num_samples\"] = 3\n"
          "g[\"actions\"] = np.zeros((3, 7), np.int16)\n"
          "g[\"rewards\"] = np.zeros((3, 2), np.float32)\n"
          "g[\"obs/long\"] = np.zeros((5, 2), np.float32)\n"
          "g[\"obs/text\"] = \"hello\"\n"
          "f.create_group(\"nodata\")\n"
          "h5py.File(sys.argv[2], \"w\").create_group(\"other\")\n"
          "' '" +
          bad.string() + "' '" + (dir.path / "nodata.hdf5").string() + "'");
  INFO("python said: " << c.output);
  REQUIRE(c.status == 0);
  DatasetReader malformed(bad);
  CHECK_THROWS_WITH_AS(malformed.read("demo_0", "actions"), doctest::Contains("16-bit signed integer"),
                       a2w::InvalidArgument);
  CHECK_THROWS_WITH_AS(malformed.read("demo_0", "rewards"), doctest::Contains("float [T]"),
                       a2w::InvalidArgument);
  CHECK_THROWS_WITH_AS(malformed.read("demo_0", "obs/long"), doctest::Contains("3 rows"),
                       a2w::InvalidArgument);
  CHECK_THROWS_WITH_AS(malformed.read("demo_0", "obs/text"), doctest::Contains("string"),
                       a2w::InvalidArgument);
  CHECK_THROWS_WITH_AS(DatasetReader(dir.path / "nodata.hdf5"), doctest::Contains("'data'"),
                       a2w::InvalidArgument);
}

TEST_CASE("EpisodeBuffer refuses an observation that changes shape within an episode") {
  EpisodeBuffer buffer;
  buffer.begin(Dict{{"x", Array::from<float>({1.f, 2.f})}}, {}, 3);
  StepResult r;
  r.obs = Dict{{"x", Array::from<float>({1.f, 2.f, 3.f})}};
  buffer.add(action_at(0), r);
  CHECK_THROWS_WITH_AS(buffer.add(action_at(1), r), doctest::Contains("'x' at step 1"), a2w::InvalidArgument);
  buffer.begin(Dict{{"x", Array::from<float>({1.f})}}, {}, std::nullopt);
  r.obs = Dict{{"y", Array::from<float>({1.f})}};
  buffer.add(action_at(0), r);
  CHECK_THROWS_WITH_AS(buffer.add(action_at(1), r), doctest::Contains("expected {x}"), a2w::InvalidArgument);
  buffer.clear();
  CHECK_THROWS_AS(buffer.finish(), a2w::Error);
}

TEST_CASE("side_by_side concatenates images of one height") {
  const Array a = image(1, 0, 2, 3), b = image(2, 0, 2, 1);
  const Array both = side_by_side({a, b});
  REQUIRE(both.shape() == Shape{2, 4, 3});
  for (std::int64_t y = 0; y < 2; ++y) {
    for (std::int64_t x = 0; x < 4; ++x)
      for (std::int64_t c = 0; c < 3; ++c) {
        const std::uint8_t want = x < 3 ? a.data<std::uint8_t>()[(y * 3 + x) * 3 + c]
                                        : b.data<std::uint8_t>()[(y * 1 + (x - 3)) * 3 + c];
        CHECK(both.data<std::uint8_t>()[(y * 4 + x) * 3 + c] == want);
      }
  }
  CHECK_THROWS_AS(side_by_side({}), a2w::InvalidArgument);
  CHECK_THROWS_WITH_AS(side_by_side({a, image(1, 0, 3, 3)}), doctest::Contains("image 1"),
                       a2w::InvalidArgument);
  CHECK_THROWS_AS(side_by_side({Array(DType::kFloat32, Shape{2, 2, 3})}), a2w::InvalidArgument);
}

TEST_CASE("RecordVideo writes playable mp4s of the triggered episodes") {
  if (!has_program("ffmpeg") || !has_program("ffprobe")) {
    MESSAGE("skipped: ffmpeg/ffprobe not installed");
    return;
  }
  TempDir dir;
  {
    RecordVideo env(std::make_unique<FakeEnv>(5),
                    {.folder = dir.path / "videos", .episode_trigger_every = 2});
    run_episode(env, 1);
    run_episode(env, 2);
    run_episode(env, 3);
    CHECK(env.files().size() == 2);
    env.close();
  }
  CHECK_FALSE(fs::exists(dir.path / "videos" / "rl-video-episode-1.mp4"));
  for (const char* name : {"rl-video-episode-0.mp4", "rl-video-episode-2.mp4"}) {
    CAPTURE(name);
    const Probe p = probe(dir.path / "videos" / name);
    CHECK(p.frames == 6);  // the reset frame and one per step
    CHECK(p.width == 16);  // two 8x8 views side by side
    CHECK(p.height == 8);
  }
  for (const auto& entry : fs::directory_iterator(dir.path / "videos"))
    CHECK(entry.path().extension() == ".mp4");  // no temp or log files left

  SUBCASE("an unfinished episode keeps its frames when the next reset comes") {
    RecordVideo env(std::make_unique<FakeEnv>(5), {.folder = dir.path / "partial", .prefix = "p"});
    run_episode(env, 1, 2);
    run_episode(env, 2, 1);
    env.close();
    CHECK(probe(dir.path / "partial" / "p-episode-0.mp4").frames == 3);
    CHECK(probe(dir.path / "partial" / "p-episode-1.mp4").frames == 2);
  }
}

TEST_CASE("VideoWriter pads odd sizes to even ones") {
  if (!has_program("ffmpeg") || !has_program("ffprobe")) {
    MESSAGE("skipped: ffmpeg/ffprobe not installed");
    return;
  }
  TempDir dir;
  {
    VideoWriter video(dir.path / "odd.mp4", 7, 5, 20.0);
    for (int t = 0; t < 3; ++t) video.write(image(4, t, 5, 7));
    CHECK_THROWS_AS(video.write(image(4, 0, 6, 7)), a2w::InvalidArgument);
    CHECK_FALSE(fs::exists(dir.path / "odd.mp4"));
    video.close();
    CHECK(video.frames() == 3);
  }
  const Probe p = probe(dir.path / "odd.mp4");
  CHECK(p.frames == 3);
  CHECK(p.width == 8);
  CHECK(p.height == 6);

  {
    RecordVideo env(std::make_unique<FakeEnv>(2, 5, 7), {.folder = dir.path, .prefix = "odd-env"});
    run_episode(env, 1);
  }
  const Probe q = probe(dir.path / "odd-env-episode-0.mp4");
  CHECK(q.frames == 3);
  CHECK(q.width == 14);
  CHECK(q.height == 6);

  VideoWriter empty(dir.path / "empty.mp4", 4, 4, 20.0);
  CHECK_THROWS_WITH_AS(empty.close(), doctest::Contains("at least one frame"), a2w::Error);
  CHECK_FALSE(fs::exists(dir.path / "empty.mp4"));
}

TEST_CASE("VideoWriter says clearly when ffmpeg is missing or fails") {
  TempDir dir;
  SUBCASE("ffmpeg not on PATH") {
    fs::create_directory(dir.path / "empty-bin");
    const char* old = std::getenv("PATH");
    const std::string saved = old != nullptr ? old : "";
    setenv("PATH", (dir.path / "empty-bin").c_str(), 1);
    std::string message;
    try {
      VideoWriter video(dir.path / "x.mp4", 8, 8, 20.0);
    } catch (const a2w::Error& e) {
      message = e.what();
    }
    setenv("PATH", saved.c_str(), 1);
    CHECK(message.find("ffmpeg") != std::string::npos);
    CHECK(message.find("PATH") != std::string::npos);
  }
  SUBCASE("ffmpeg exits non-zero") {
    const fs::path fake = dir.path / "fake-ffmpeg";
    write_file(fake, "#!/bin/sh\necho 'fake ffmpeg failed: no encoder' >&2\nexit 3\n");
    fs::permissions(fake, fs::perms::owner_all);
    std::string message;
    try {
      VideoWriter video(dir.path / "x.mp4", 64, 64, 20.0, fake.string());
      // The script may exit before or after these frames reach the pipe: either write() or close() fails.
      for (int t = 0; t < 50; ++t) video.write(image(1, t, 64, 64));
      video.close();
    } catch (const a2w::Error& e) {
      message = e.what();
    }
    CHECK(message.find("fake ffmpeg failed: no encoder") != std::string::npos);
    CHECK(message.find("status 3") != std::string::npos);
    CHECK_FALSE(fs::exists(dir.path / "x.mp4"));
  }
}
