#include "a2w/bench/env_bench.h"

#include <mujoco/mujoco.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>
#include <vector>

#include "a2w/env/registry.h"
#include "a2w/env/vector_env.h"
#include "a2w/tasks/tasks.h"
#include "a2w/tasks/renderer.h"
#include "a2w/tasks/task_env.h"

namespace a2w::bench {
namespace {

using Clock = std::chrono::steady_clock;

// Calls `step` (which does `unit` steps) until `seconds` passed; returns steps per second.
double rate(const std::function<void()>& step, double unit, double seconds) {
  step();  // warm caches and lazy allocations outside the timed part
  const auto t0 = Clock::now();
  double n = 0, dt = 0;
  do {
    step();
    n += unit;
    dt = std::chrono::duration<double>(Clock::now() - t0).count();
  } while (dt < seconds);
  return n / dt;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Alternates a and b for `rounds` rounds; medians of each.
std::pair<double, double> paired(const std::function<double()>& a, const std::function<double()>& b, int rounds) {
  std::vector<double> ra, rb;
  for (int r = 0; r < rounds; ++r) {
    ra.push_back(a());
    rb.push_back(b());
  }
  return {median(ra), median(rb)};
}

std::string cpu_model() {
  std::ifstream f("/proc/cpuinfo");
  for (std::string line; std::getline(f, line);)
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown";
}

env::Dict task_options(int image_size, bool render) {
  env::Dict o{{"image_size", image_size}};
  if (!render) o["render"] = false;
  return o;
}

std::unique_ptr<env::VectorEnv> make_vector(const std::string& task, const env::Dict& options, int n, int threads) {
  auto v = std::make_unique<env::ThreadedVectorEnv>([&](int) { return a2w::make(task, options); },
                                            env::VectorEnvOptions{n, threads, env::AutoresetMode::kNextStep});
  v->reset(std::uint64_t{0});
  return v;
}

// Steps of a VectorEnv with zero actions (the arm holds still, like the raw loop's constant controls).
double vector_rate(env::VectorEnv& v, double seconds) {
  const auto& space = dynamic_cast<const env::Box&>(*v.single_spec().action_space);
  env::Shape shape{v.num_envs()};
  for (auto d : space.shape()) shape.push_back(d);
  env::Array actions(env::DType::kFloat32, shape);
  return rate([&] { v.step(actions); }, v.num_envs(), seconds);
}

}  // namespace

EnvBenchResult bench_env(const EnvBenchOptions& o) {
  tasks::register_tasks();
  EnvBenchResult r;
  r.task = o.task;
  r.cpu = cpu_model();
  r.image_size = o.image_size;
  r.num_envs = o.num_envs;
  auto say = [&](const std::string& s) {
    if (o.progress) std::cerr << "bench env: " << s << std::endl;
  };

  // State only: VectorEnv vs raw mj_step on the same model from the same state.
  {
    auto v = make_vector(o.task, task_options(o.image_size, false), 1, 1);
    auto& te = dynamic_cast<tasks::TaskEnv&>(v->env(0).unwrapped());
    const mjModel* m = te.model();
    r.substeps = te.substeps();
    mjData* d = mj_makeData(m);
    mj_copyData(d, m, te.data());  // includes ctrl and the gravity-compensating qfrc_applied
    const int substeps = r.substeps;
    auto raw = [&] {
      return rate([&] { for (int s = 0; s < substeps; ++s) mj_step(m, d); }, 1, o.seconds);
    };
    std::tie(r.raw_mj_step, r.vector_state) = paired(raw, [&] { return vector_rate(*v, o.seconds); }, o.rounds);
    mj_deleteData(d);
    say("state-only " + std::to_string(static_cast<long>(r.vector_state)) + " steps/s, raw mj_step " +
        std::to_string(static_cast<long>(r.raw_mj_step)) + " steps/s");
  }

  // Two views: VectorEnv with cameras vs a raw render loop over the same cameras at the same size.
  {
    auto v = make_vector(o.task, task_options(o.image_size, true), 1, 1);
    auto& te = dynamic_cast<tasks::TaskEnv&>(v->env(0).unwrapped());
    const mjModel* m = te.model();
    mjData* d = mj_makeData(m);
    mj_copyData(d, m, te.data());
    mj_forward(m, d);
    // A Renderer only to own a current EGL context; the loop below talks to MuJoCo's renderer directly.
    tasks::Renderer owner(m, {o.image_size, o.image_size});
    r.renderer = owner.info().renderer;
    owner.make_current();
    mjvScene scn;
    mjrContext con;
    mjv_defaultScene(&scn);
    mjr_defaultContext(&con);
    mjv_makeScene(m, &scn, 1000);
    mjr_makeContext(m, &con, mjFONTSCALE_100);
    mjr_setBuffer(mjFB_OFFSCREEN, &con);
    // The same scene settings as tasks::Renderer (shadows, reflections and skybox off, sites hidden), so
    // both sides draw the same thing.
    scn.flags[mjRND_SHADOW] = 0;
    scn.flags[mjRND_REFLECTION] = 0;
    scn.flags[mjRND_SKYBOX] = 0;
    mjvOption opt;
    mjv_defaultOption(&opt);
    for (int g = 0; g < mjNGROUP; ++g) opt.sitegroup[g] = 0;
    const int cams[2] = {mj_name2id(m, mjOBJ_CAMERA, "agentview"), mj_name2id(m, mjOBJ_CAMERA, "eye_in_hand")};
    const mjrRect viewport{0, 0, o.image_size, o.image_size};
    std::vector<unsigned char> rgb(3 * o.image_size * o.image_size);
    auto raw_pair = [&] {
      for (int cam_id : cams) {
        mjvCamera cam;
        mjv_defaultCamera(&cam);
        cam.type = mjCAMERA_FIXED;
        cam.fixedcamid = cam_id;
        mjv_updateScene(m, d, &opt, nullptr, &cam, mjCAT_ALL, &scn);
        mjr_render(viewport, &scn, &con);
        mjr_readPixels(rgb.data(), nullptr, viewport, &con);
      }
    };
    // The env's own Renderer binds its context on this thread during its rounds: rebind ours first.
    auto raw = [&] {
      owner.make_current();
      return rate(raw_pair, 1, o.seconds);
    };
    // The same work as an env step, by hand: the physics substeps, then both cameras.
    const int substeps = te.substeps();
    auto raw_step_pair = [&] {
      owner.make_current();
      return rate(
          [&] {
            for (int s = 0; s < substeps; ++s) mj_step(m, d);
            raw_pair();
          },
          1, o.seconds);
    };
    std::vector<double> a, b, c;
    for (int round = 0; round < o.rounds; ++round) {
      a.push_back(raw());
      b.push_back(raw_step_pair());
      c.push_back(vector_rate(*v, o.seconds));
    }
    r.raw_render = median(a);
    r.raw_step_render = median(b);
    r.vector_render = median(c);
    mjr_freeContext(&con);
    mjv_freeScene(&scn);
    mj_deleteData(d);
    say("2 views " + std::to_string(o.image_size) + "px " + std::to_string(static_cast<long>(r.vector_render)) +
        " steps/s, raw render loop " + std::to_string(static_cast<long>(r.raw_render)) +
        " pairs/s, raw mj_step + render loop " + std::to_string(static_cast<long>(r.raw_step_render)) +
        " steps/s");
  }

  // Scaling from 1 to 2 threads.
  for (bool render : {false, true}) {
    auto v1 = make_vector(o.task, task_options(o.image_size, render), o.num_envs, 1);
    auto v2 = make_vector(o.task, task_options(o.image_size, render), o.num_envs, 2);
    auto [one, two] = paired([&] { return vector_rate(*v1, o.seconds); },
                             [&] { return vector_rate(*v2, o.seconds); }, o.rounds);
    (render ? r.render_1_thread : r.state_1_thread) = one;
    (render ? r.render_2_threads : r.state_2_threads) = two;
    say(std::string(render ? "2 views" : "state-only") + " scaling: 1 thread " +
        std::to_string(static_cast<long>(one)) + " steps/s, 2 threads " + std::to_string(static_cast<long>(two)));
  }
  return r;
}

env::Dict EnvBenchResult::to_dict() const {
  return env::Dict{
      {"task", task},
      {"cpu", cpu},
      {"renderer", renderer},
      {"substeps_per_step", substeps},
      {"image_size", image_size},
      {"num_envs", num_envs},
      {"raw_mj_step_steps_per_s", raw_mj_step},
      {"vector_state_steps_per_s", vector_state},
      {"state_ratio", state_ratio()},
      {"raw_render_pairs_per_s", raw_render},
      {"vector_render_steps_per_s", vector_render},
      {"render_ratio", render_ratio()},
      {"raw_step_render_steps_per_s", raw_step_render},
      {"render_same_work_ratio", render_same_work_ratio()},
      {"state_1_thread_steps_per_s", state_1_thread},
      {"state_2_threads_steps_per_s", state_2_threads},
      {"state_scaling", state_scaling()},
      {"render_1_thread_steps_per_s", render_1_thread},
      {"render_2_threads_steps_per_s", render_2_threads},
      {"render_scaling", render_scaling()},
  };
}

std::string EnvBenchResult::to_text() const {
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(0);
  s << "task " << task << " (" << substeps << " physics substeps per step), CPU " << cpu << "\n";
  s << "renderer " << renderer << "\n";
  s << "state-only   VectorEnv " << vector_state << " steps/s   raw mj_step loop " << raw_mj_step << " steps/s";
  s.precision(2);
  s << "   ratio " << state_ratio() << "x\n";
  s.precision(0);
  s << "2 views " << image_size << "x" << image_size << "  VectorEnv " << vector_render
    << " steps/s   raw render loop " << raw_render << " pairs/s";
  s.precision(2);
  s << "   ratio " << render_ratio() << "x\n";
  s.precision(0);
  s << "               (same work)                  raw mj_step + render loop " << raw_step_render << " steps/s";
  s.precision(2);
  s << "   ratio " << render_same_work_ratio() << "x\n";
  s.precision(0);
  s << "threads (" << num_envs << " envs) state-only: 1 thread " << state_1_thread << ", 2 threads "
    << state_2_threads;
  s.precision(2);
  s << " steps/s   scaling " << state_scaling() << "x\n";
  s.precision(0);
  s << "threads (" << num_envs << " envs) 2 views:    1 thread " << render_1_thread << ", 2 threads "
    << render_2_threads;
  s.precision(2);
  s << " steps/s   scaling " << render_scaling() << "x\n";
  return s.str();
}

}  // namespace a2w::bench
