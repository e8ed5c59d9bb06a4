#include "a2w/bench/wm_bench.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>

#include "a2w/env/registry.h"
#include "a2w/env/vector_env.h"
#include "a2w/tasks/tasks.h"
#include "a2w/wm/a2world.h"
#include "a2w/wm/register_sim.h"
#include "a2w/wm/threads.h"
#include "a2w/wm/world_model_env.h"

namespace a2w::bench {
namespace {

using Clock = std::chrono::steady_clock;

// Calls `step` (which does `unit` env steps) until `seconds` passed; returns env steps per second.
double rate(const std::function<void()>& step, double unit, double seconds) {
  step();  // warm caches, lazy allocations and LibTorch's first-call costs outside the timed part
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

std::string cpu_model() {
  std::ifstream f("/proc/cpuinfo");
  for (std::string line; std::getline(f, line);)
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown";
}

// Steps of a VectorEnv with zero actions.
double vector_rate(env::VectorEnv& v, double seconds) {
  env::Array actions(env::DType::kFloat32, {v.num_envs(), 7});
  return rate([&] { v.step(actions); }, v.num_envs(), seconds);
}

}  // namespace

WmBenchResult bench_wm(const WmBenchOptions& o) {
  tasks::register_tasks();
  if (o.batches.empty()) throw InvalidArgument("bench wm: expected at least one batch size, got none");
  for (int b : o.batches)
    if (b < 1) throw InvalidArgument("bench wm: expected batch sizes >= 1, got " + std::to_string(b));
  if (o.rounds < 1) throw InvalidArgument("bench wm: expected rounds >= 1, got " + std::to_string(o.rounds));
  if (o.threads < 0)
    throw InvalidArgument("bench wm: expected threads >= 0, got " + std::to_string(o.threads));
  auto say = [&](const std::string& s) {
    if (o.progress) std::cerr << "bench wm: " << s << std::endl;
  };

  WmBenchResult r;
  r.task = o.task;
  r.cpu = cpu_model();
  r.device = o.device;
  std::shared_ptr<wm::WorldModel> model;
  if (!o.checkpoint.empty() && !o.config.empty())
    throw InvalidArgument("bench wm: expected a checkpoint or a preset (--config), not both");
  if (o.config.empty()) {
    r.model = o.checkpoint.empty() ? wm::default_checkpoint() : o.checkpoint;
    model = wm::load_sim_model(o.checkpoint, o.device);
  } else {
    // No checkpoint: the preset's architecture with random weights has the same cost per step.
    wm::WorldModelConfig c = wm::WorldModelConfig::preset(o.config);
    c.tasks = {o.task};
    torch::manual_seed(0);
    model = std::make_shared<wm::A2World>(c, torch::Device(o.device));
    r.model = "preset " + o.config + " (random weights)";
    r.random_weights = true;
  }
  const wm::WorldModelConfig& c = model->config();
  r.image_size = c.image_size;
  r.views = c.views;
  r.context_frames = c.context_frames;
  r.sampling_steps = c.sampling_steps;
  if (auto* a2world = dynamic_cast<wm::A2World*>(model.get())) {
    for (const auto& p : a2world->net()->parameters()) r.parameters += p.numel();
    a2world->set_precision(wm::parse_precision(o.precision, a2world->device()));
    r.precision = wm::precision_name(a2world->precision());
  }
  r.torch_threads = wm::set_torch_threads(o.threads);
  say("model " + r.model + ", " + std::to_string(r.image_size) + "px, " + std::to_string(r.views) +
      " views, " + std::to_string(r.torch_threads) + " LibTorch threads");

  env::ThreadedVectorEnv physics(
      [&](int) {
        return a2w::make(o.task, {{"image_size", c.image_size}});
      },
      env::VectorEnvOptions{1, 1, env::AutoresetMode::kNextStep});
  physics.reset(std::uint64_t{0});
  std::vector<std::unique_ptr<wm::WorldModelVectorEnv>> sims;
  for (int b : o.batches) {
    wm::WorldModelEnvOptions wo;
    wo.task = o.task;
    wo.num_envs = b;
    wo.autoreset_mode = env::AutoresetMode::kNextStep;
    sims.push_back(std::make_unique<wm::WorldModelVectorEnv>(model, wo));
    sims.back()->reset(std::uint64_t{0});
  }

  // Raw predict inputs: mid-grey frames, zero actions, the task's row, fixed seeds.
  std::vector<wm::WorldModelInput> raw_inputs;
  for (int b : o.batches) {
    wm::WorldModelInput in;
    in.context =
        torch::full({b, c.views, c.context_frames, c.image_size, c.image_size, 3}, 128, torch::kUInt8);
    in.anchor = torch::full({b, c.views, c.image_size, c.image_size, 3}, 128, torch::kUInt8);
    in.actions = torch::zeros({b, c.action_horizon, c.action_dim}, torch::kFloat);
    in.task = torch::full({b}, c.tasks.empty() ? -1 : 0, torch::kLong);
    in.state = torch::zeros({b, c.state_dim}, torch::kFloat);
    in.state_mask = torch::ones({b, c.state_dim}, torch::kFloat);
    for (int i = 0; i < b; ++i) in.seeds.push_back(static_cast<std::uint64_t>(i));
    raw_inputs.push_back(std::move(in));
  }

  std::vector<double> phys;
  std::vector<std::vector<double>> imagined(o.batches.size()), raw(o.batches.size());
  for (int round = 0; round < o.rounds; ++round) {
    phys.push_back(vector_rate(physics, o.seconds));
    std::ostringstream line;
    line.precision(1);
    line << std::fixed << "round " << round + 1 << "/" << o.rounds << ": physics " << phys.back()
         << " steps/s";
    for (std::size_t k = 0; k < sims.size(); ++k) {
      raw[k].push_back(rate([&] { model->predict(raw_inputs[k]); }, o.batches[k], o.seconds));
      imagined[k].push_back(vector_rate(*sims[k], o.seconds));
      line << "; batch " << o.batches[k] << ": " << imagined[k].back() << " imagined steps/s, raw predict "
           << raw[k].back() << " rows/s";
    }
    say(line.str());
  }
  r.physics_steps_per_s = median(phys);
  for (std::size_t k = 0; k < sims.size(); ++k) {
    WmBenchRow row;
    row.batch = o.batches[k];
    row.steps_per_s = median(imagined[k]);
    row.ms_per_step = 1000.0 * row.batch / row.steps_per_s;
    row.raw_predict_per_s = median(raw[k]);
    r.rows.push_back(row);
  }
  return r;
}

env::Dict WmBenchResult::to_dict() const {
  env::List list;
  for (const auto& row : rows)
    list.emplace_back(env::Dict{{"batch", row.batch},
                                {"imagined_steps_per_s", row.steps_per_s},
                                {"ms_per_batched_step", row.ms_per_step},
                                {"raw_predict_rows_per_s", row.raw_predict_per_s},
                                {"env_over_raw_predict", row.overhead_ratio()},
                                {"ratio_vs_physics", row.steps_per_s / physics_steps_per_s}});
  return env::Dict{{"task", task},
                   {"cpu", cpu},
                   {"device", device},
                   {"model", model},
                   {"random_weights", random_weights},
                   {"image_size", image_size},
                   {"views", views},
                   {"context_frames", context_frames},
                   {"sampling_steps", sampling_steps},
                   {"parameters", parameters},
                   {"torch_threads", torch_threads},
                   {"precision", precision},
                   {"physics_render_steps_per_s", physics_steps_per_s},
                   {"imagined", list}};
}

std::string WmBenchResult::to_text() const {
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(0);
  s << "A2World-sim on " << device << " (" << torch_threads << " LibTorch threads, " << precision
    << " matrix products), CPU " << cpu << "\n";
  s << "model " << model;
  if (parameters > 0) s << ", " << static_cast<double>(parameters) / 1e6 << "M parameters";
  s << ", " << image_size << "x" << image_size << ", " << views << " views, " << context_frames
    << " context frames, " << sampling_steps << " sampling steps\n";
  if (random_weights)
    s << "(random weights: the speed of this architecture, not of a trained model's frames)\n";
  s.precision(1);
  s << "physics " << task << ", 1 env, both views rendered at " << image_size << "px: " << physics_steps_per_s
    << " steps/s\n";
  for (const auto& row : rows) {
    s << "imagined, batch " << row.batch
      << (row.batch < 10    ? "  "
          : row.batch < 100 ? " "
                            : "")
      << ": " << row.steps_per_s << " steps/s  (" << row.ms_per_step << " ms per batched step, ";
    s.precision(2);
    s << row.steps_per_s / physics_steps_per_s << "x physics; raw predict ";
    s.precision(1);
    s << row.raw_predict_per_s << " rows/s, env/raw ";
    s.precision(2);
    s << row.overhead_ratio() << "x)\n";
    s.precision(1);
  }
  return s.str();
}

}  // namespace a2w::bench
