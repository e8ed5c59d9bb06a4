#include "a2w/wm/train.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <sstream>
#include <thread>

#include "a2w/env/error.h"
#include "a2w/env/progress.h"
#include "a2w/env/rng.h"
#include "a2w/wm/a2world.h"
#include "a2w/wm/adamw.h"
#include "a2w/wm/checkpoint.h"
#include "a2w/wm/data_parallel.h"
#include "a2w/wm/device.h"
#include "a2w/wm/episode_index.h"
#include "a2w/wm/lr_schedule.h"
#include "a2w/wm/one_step_eval.h"
#include "a2w/wm/precision.h"
#include "a2w/wm/rendezvous.h"
#include "a2w/wm/threads.h"
#include "a2w/wm/window_loader.h"
#include "a2w/wm/world_model_loss.h"
#include "printf_format.h"
#include "train_common.h"

namespace a2w::wm {

namespace {

env::Dict curve_point_dict(const CurvePoint& p) {
  return {{"step", p.step},       {"seconds", p.seconds}, {"loss", p.loss},
          {"denoise", p.denoise}, {"state", p.state},     {"success", p.success},
          {"reward", p.reward},   {"lr", p.lr},           {"samples_per_second", p.samples_per_second}};
}

CurvePoint curve_point_from(const env::Dict& d) {
  CurvePoint p;
  p.step = env::get(d, "step").as_int();
  p.seconds = env::get(d, "seconds").as_double();
  p.loss = env::get(d, "loss").as_double();
  p.denoise = env::get(d, "denoise").as_double();
  p.state = env::get(d, "state").as_double();
  p.success = env::get(d, "success").as_double();
  p.reward = env::get(d, "reward").as_double();
  p.lr = env::get(d, "lr").as_double();
  p.samples_per_second = env::get(d, "samples_per_second").as_double();
  return p;
}

WorldModelConfig apply_overrides(const WorldModelConfig& base, const env::Dict& overrides) {
  if (overrides.empty()) return base;
  auto d = base.to_dict();
  for (const auto& [k, v] : overrides) d[k] = v;
  return WorldModelConfig::from_dict(d);
}

void check_job(const TrainJob& job) {
  if (job.data.empty())
    throw InvalidArgument("TrainJob: expected at least one dataset folder in data, got none");
  if (job.out.empty()) throw InvalidArgument("TrainJob: expected an output checkpoint path in out, got none");
  if (job.steps < 1) throw InvalidArgument("TrainJob: expected steps >= 1, got " + std::to_string(job.steps));
  if (job.batch_size < 1)
    throw InvalidArgument("TrainJob: expected batch_size >= 1, got " + std::to_string(job.batch_size));
  if (!(job.lr > 0)) throw InvalidArgument("TrainJob: expected lr > 0, got " + std::to_string(job.lr));
  if (!(job.fraction > 0 && job.fraction <= 1))
    throw InvalidArgument("TrainJob: expected fraction in (0, 1], got " + std::to_string(job.fraction));
  if (!job.init.empty() && !job.from.empty())
    throw InvalidArgument("TrainJob: init (a warm start) is for pretraining; adapting (from = " + job.from +
                          ") already starts from a checkpoint");
  if (job.world_size < 1 || job.rank < 0 || job.rank >= job.world_size)
    throw InvalidArgument("TrainJob: expected 0 <= rank < world_size, got rank " + std::to_string(job.rank) +
                          " of " + std::to_string(job.world_size));
  if (job.world_size > 1 && job.master_addr.empty())
    throw InvalidArgument("TrainJob: data-parallel training (world_size " + std::to_string(job.world_size) +
                          ") needs master_addr (MASTER_ADDR), the host of rank 0's store");
  if (!job.from.empty() && job.task.empty())
    throw InvalidArgument("TrainJob: adapting (from = " + job.from + ") needs the target task id in task");
  if (job.threads < 0)
    throw InvalidArgument("TrainJob: expected threads >= 0, got " + std::to_string(job.threads));
}

}  // namespace

env::Dict TrainReport::to_dict() const {
  env::List c;
  for (const auto& p : curve) c.emplace_back(curve_point_dict(p));
  return {{"mode", mode},
          {"out", out},
          {"config", config},
          {"parameters", parameters},
          {"tasks", to_list(tasks)},
          {"data_tasks", to_list(data_tasks)},
          {"episodes", episodes},
          {"transitions", transitions},
          {"start_step", start_step},
          {"steps", steps},
          {"finished", finished},
          {"batch_size", batch_size},
          {"threads", threads},
          {"precision", precision},
          {"init", init},
          {"init_fresh", to_list(init_fresh)},
          {"seconds", seconds},
          {"samples_per_second", samples_per_second},
          {"loss", loss},
          {"denoise", denoise},
          {"state", state},
          {"success", success},
          {"reward", reward},
          {"curve", c},
          {"eval", eval},
          {"rank", static_cast<std::int64_t>(rank)},
          {"world_size", static_cast<std::int64_t>(world_size)},
          {"parameter_sum", parameter_sum}};
}

std::string TrainReport::to_text() const {
  std::ostringstream s;
  s << "a2w wm " << mode << ": " << out << "\n";
  s << "  model      " << config << ", " << fmt("%.2f", static_cast<double>(parameters) / 1e6)
    << "M parameters, " << tasks.size() << " task rows\n";
  if (!init.empty()) {
    s << "  warm start " << init << "; fresh:";
    for (const auto& n : init_fresh) s << " " << n;
    s << (init_fresh.empty() ? " none" : "") << "\n";
  }
  s << "  data       " << episodes << " episodes, " << transitions << " transitions, tasks:";
  for (const auto& t : data_tasks) s << " " << t;
  s << "\n  steps      " << start_step << " -> " << steps << " at batch " << batch_size << ", " << threads
    << " threads, " << precision << ", " << fmt("%.0f", seconds) << " s, " << fmt("%.1f", samples_per_second)
    << " samples/s" << (finished ? "" : " (stopped early; --resume continues)") << "\n";
  s << "  loss       " << fmt("%.4f", loss) << " (denoise " << fmt("%.4f", denoise) << ", state "
    << fmt("%.4f", state) << ", success " << fmt("%.4f", success) << ", reward " << fmt("%.4f", reward)
    << ")\n";
  if (curve.size() > 1) {
    s << "  curve      step: loss\n";
    const std::size_t every = std::max<std::size_t>(1, curve.size() / 10);
    for (std::size_t i = 0; i < curve.size(); ++i)
      if (i % every == 0 || i + 1 == curve.size())
        s << "    " << curve[i].step << ": " << fmt("%.4f", curve[i].loss) << "  (denoise "
          << fmt("%.4f", curve[i].denoise) << ", state " << fmt("%.4f", curve[i].state) << ")\n";
  }
  if (!eval.empty()) {
    auto g = [&](const char* k) { return env::get(eval, k).as_double(); };
    s << "  one-step   " << env::get(eval, "windows").as_int() << " held-out windows: PSNR "
      << fmt("%.2f", g("psnr")) << " dB (copy-last " << fmt("%.2f", g("psnr_copy_last")) << "), moving "
      << fmt("%.2f", g("psnr_moving")) << " dB (copy-last " << fmt("%.2f", g("psnr_moving_copy_last"))
      << ")\n";
    s << "             ee error " << fmt("%.2f", g("ee_error_cm")) << " cm (copy-last "
      << fmt("%.2f", g("ee_error_cm_copy_last")) << "), object " << fmt("%.2f", g("object_error_cm"))
      << " cm (copy-last " << fmt("%.2f", g("object_error_cm_copy_last")) << "), success accuracy "
      << fmt("%.3f", g("success_accuracy")) << "\n";
  }
  return s.str();
}

TrainReport train_world_model(const TrainJob& job) {
  check_job(job);
  const auto device = parse_device(job.device, "TrainJob.device");
  const int threads = set_torch_threads(job.threads);

  TrainReport report;
  report.mode = job.from.empty() ? "pretrain" : "adapt";
  report.out = job.out;
  report.batch_size = job.batch_size;
  report.threads = threads;
  const Precision precision = parse_precision(job.precision, device);
  report.precision = precision_name(precision);

  // 1. Where the weights start: a checkpoint of this run (resume), a pretrained model (adapt) or fresh.
  const bool resuming = job.resume && std::filesystem::exists(job.out);
  Checkpoint start;
  WorldModelConfig config;
  if (resuming) {
    start = read_checkpoint(job.out);
    config = apply_overrides(start.config, job.config_overrides);
    report.config = env::get_or(start.meta, "preset", std::string("from checkpoint"));
  } else if (!job.from.empty()) {
    start = read_checkpoint(job.from);
    config = apply_overrides(start.config, job.config_overrides);
    report.config = env::get_or(start.meta, "preset", std::string("from checkpoint"));
  } else {
    config = apply_overrides(WorldModelConfig::preset(job.config), job.config_overrides);
    report.config = job.config;
  }
  config.validate();

  // 2. Data.
  EpisodeIndexOptions io;
  io.paths = job.data;
  io.tasks = job.tasks;
  if (io.tasks.empty() && !job.task.empty()) io.tasks = {job.task};
  io.exclude_tasks = job.exclude_tasks;
  io.fraction = job.fraction;
  io.seed = job.seed;
  io.view_keys = config.view_keys;
  io.action_dim = config.action_dim;
  io.state_dim = config.state_dim;
  io.action_horizon = config.action_horizon;
  auto index = std::make_shared<const EpisodeIndex>(io);
  report.data_tasks = index->tasks();
  report.episodes = static_cast<std::int64_t>(index->episodes().size());
  report.transitions = index->transitions();

  // 3. Task embedding rows: pretraining names the corpus's tasks; adaptation appends its task when new.
  if (!resuming) {
    std::vector<std::string> wanted = job.from.empty() ? index->tasks() : std::vector<std::string>{job.task};
    if (job.from.empty()) config.tasks.clear();
    for (const auto& t : wanted)
      if (std::find(config.tasks.begin(), config.tasks.end(), t) == config.tasks.end())
        config.tasks.push_back(t);
    if (static_cast<int>(config.tasks.size()) > config.task_slots)
      throw InvalidArgument("train_world_model: " + std::to_string(config.tasks.size()) +
                            " tasks do not fit the task embedding's " + std::to_string(config.task_slots) +
                            " rows (set config override task_slots when pretraining)");
  }
  config.validate();
  report.tasks = config.tasks;

  // 4. Model, EMA, optimizer, statistics.
  torch::manual_seed(job.seed);
  A2WorldNet net(config), ema(config);
  StateNormalizer norm;
  std::int64_t step0 = 0;
  std::vector<CurvePoint> curve;
  double seconds_before = 0;
  if (resuming) {
    load_module(start, *net, "model/");
    load_module(start, *ema, "ema/");
    norm = read_normalizer(start);
    step0 = env::get(start.meta, "step").as_int();
    seconds_before = env::get_or(start.meta, "seconds", 0.0);
    if (start.meta.count("curve"))
      for (const auto& p : env::get(start.meta, "curve").as_list())
        curve.push_back(curve_point_from(p.as_dict()));
  } else if (!job.from.empty()) {
    load_module(start, *net, start.has_prefix("ema/") ? "ema/" : "model/");
    load_module(start, *ema, start.has_prefix("ema/") ? "ema/" : "model/");
    norm = read_normalizer(start);
  } else {
    torch::NoGradGuard no_grad;
    if (!job.init.empty()) {
      const Checkpoint init = read_checkpoint(job.init);
      const std::string prefix = init.has_prefix("ema/") ? "ema/" : "model/";
      const bool same_tasks = init.config.tasks == config.tasks;
      report.init = job.init;
      for (auto& p : net->named_parameters()) {
        const auto it = init.tensors.find(prefix + p.key());
        if (it == init.tensors.end() || it->second.sizes() != p.value().sizes() ||
            (p.key() == "task.weight" && !same_tasks)) {
          report.init_fresh.push_back(p.key());
          continue;
        }
        p.value().copy_(it->second.to(p.value().scalar_type()));
      }
    }
    for (auto& p : ema->named_parameters()) p.value().copy_(net->named_parameters()[p.key()]);
    std::vector<double> count, sum, sum_sq;
    index->state_moments(count, sum, sum_sq);
    norm = StateNormalizer::from_moments(count, sum, sum_sq);
    index->state_change_moments(count, sum_sq);
    norm = norm.with_delta(count, sum_sq);
  }
  net->to(device);
  ema->to(device);
  norm = norm.to(device);
  for (auto& p : ema->parameters()) p.set_requires_grad(false);
  AdamW optimizer(*net, {.weight_decay = job.weight_decay});
  if (resuming) optimizer.load(start, "optim/");
  start = Checkpoint();  // free the loaded tensors
  report.parameters = parameter_count(*net);
  report.start_step = step0;
  report.steps = step0;

  auto save = [&](std::int64_t step, double seconds) {
    Checkpoint ck;
    ck.config = config;
    env::List c;
    for (const auto& p : curve) c.emplace_back(curve_point_dict(p));
    ck.meta = {{"step", step},
               {"seconds", seconds},
               {"seed", static_cast<std::int64_t>(job.seed)},
               {"mode", report.mode},
               {"preset", report.config},
               {"data", to_list(job.data)},
               {"data_tasks", to_list(index->tasks())},
               {"fraction", job.fraction},
               {"batch_size", job.batch_size},
               {"lr", job.lr},
               {"steps_planned", job.steps},
               {"from", job.from},
               {"init", job.init},
               {"has_ema", true},
               {"has_optimizer", true},
               {"precision", report.precision},
               {"curve", c}};
    add_module(ck, *net, "model/");
    add_module(ck, *ema, "ema/");
    optimizer.save(ck, "optim/");
    add_normalizer(ck, norm);
    write_checkpoint(job.out, ck);
  };

  // Data-parallel: every rank built the same weights from the same seed; rank 0's are broadcast anyway, so a
  // rank that resumed from a stale copy of `out` cannot drift apart.
  std::unique_ptr<Rendezvous> rendezvous;
  std::unique_ptr<DataParallel> dp;
  const bool leader = job.rank == 0;
  report.rank = job.rank;
  report.world_size = job.world_size;
  if (job.world_size > 1) {
    rendezvous =
        std::make_unique<Rendezvous>(Launch{job.rank, job.world_size, job.master_addr, job.master_port});
    dp = std::make_unique<DataParallel>(*rendezvous);
    dp->broadcast(*net);
    dp->broadcast(*ema);
  }

  // 5. The loop.
  const std::int64_t warmup =
      job.warmup_steps >= 0 ? job.warmup_steps : std::min<std::int64_t>(500, job.steps / 10);
  // Each rank draws its own batches and noise: rank 0's are those of a single-process run.
  const std::uint64_t rank_seed =
      job.rank == 0 ? job.seed
                    : env::episode_seed(job.seed, 0x52414E4Bull, static_cast<std::uint64_t>(job.rank));
  WindowLoader loader(index, config, job.batch_size, rank_seed);
  loader.start(step0, job.loader_workers, 4);
  env::Progress progress(report.mode, job.steps, job.progress && leader ? stderr : nullptr);
  progress.advance(step0);
  const auto t0 = Clock::now();
  auto interval_start = t0;
  double sum_loss = 0, sum_denoise = 0, sum_state = 0, sum_success = 0, sum_reward = 0;
  std::int64_t interval_steps = 0, done_here = 0;
  net->train();
  std::int64_t step = step0;
  auto past_time_limit = [&] { return job.max_minutes > 0 && seconds_since(t0) >= 60.0 * job.max_minutes; };
  auto out_of_time = [&] {
    // Data-parallel ranks learn of the time limit through the allreduce, never here: one rank leaving the
    // loop alone would leave the others waiting for it.
    return (job.stop_at_step > 0 && step >= job.stop_at_step) || (!dp && past_time_limit());
  };
  for (; step < job.steps && !out_of_time(); ++step) {
    const double lr = warmup_cosine_lr(job.lr, job.min_lr_ratio, warmup, job.steps, step);
    const auto batch = loader.next().to(device);
    auto gen = at::detail::createCPUGenerator(
        env::episode_seed(rank_seed, 0x4C4F5353ull, static_cast<std::uint64_t>(step)));
    const bool self_forcing = step >= config.self_forcing_warmup;
    optimizer.zero_grad();
    LossTerms terms;
    {
      PrecisionGuard guard(precision, device);  // the forward passes; backward runs outside, as with autocast
      terms = world_model_loss(net, batch, norm, gen, self_forcing);
    }
    if (!std::isfinite(terms.total.item<double>()))
      throw Error("train_world_model: the loss became " + std::to_string(terms.total.item<double>()) +
                  " at step " + std::to_string(step) + " (try a lower lr)");
    terms.total.backward();
    // Ranks stop together: the time limit of any rank stops all (the flag rides with the gradients).
    const bool stop_all = dp && dp->average_gradients(*net, past_time_limit());
    if (job.grad_clip > 0) torch::nn::utils::clip_grad_norm_(net->parameters(), job.grad_clip);
    optimizer.step(lr);
    ema_update(*ema, *net, ema_decay_at(config.ema_decay, step));

    sum_loss += terms.total.item<double>();
    sum_denoise += terms.denoise;
    sum_state += terms.state;
    sum_success += terms.success;
    sum_reward += terms.reward;
    ++interval_steps;
    ++done_here;
    const std::int64_t done = step + 1;
    const bool stopping = done == job.steps || (job.stop_at_step > 0 && done >= job.stop_at_step) ||
                          (dp ? stop_all : past_time_limit());
    if (done % std::max<std::int64_t>(1, job.log_every) == 0 || stopping) {
      const double dt = seconds_since(interval_start);
      const double n = static_cast<double>(interval_steps);
      CurvePoint p{done,
                   seconds_before + seconds_since(t0),
                   sum_loss / n,
                   sum_denoise / n,
                   sum_state / n,
                   sum_success / n,
                   sum_reward / n,
                   lr,
                   n * job.batch_size / std::max(dt, 1e-9)};
      curve.push_back(p);
      progress.set_postfix("loss " + fmt("%.4f", p.loss) + "  " + fmt("%.1f", p.samples_per_second) +
                           " samples/s");
      sum_loss = sum_denoise = sum_state = sum_success = sum_reward = 0;
      interval_steps = 0;
      interval_start = Clock::now();
    }
    progress.advance();
    if (leader && job.checkpoint_every > 0 && done % job.checkpoint_every == 0 && !stopping)
      save(done, seconds_before + seconds_since(t0));
    if (stopping) {
      ++step;
      break;
    }
  }
  loader.stop();
  report.seconds = seconds_since(t0);
  report.samples_per_second =
      static_cast<double>(done_here * job.batch_size) / std::max(report.seconds, 1e-9);
  report.steps = step;
  report.finished = step >= job.steps;
  if (leader) save(step, seconds_before + report.seconds);
  {
    torch::NoGradGuard no_grad;
    for (const auto& p : ema->parameters())
      report.parameter_sum += p.to(torch::kFloat64).sum().item<double>();
  }
  progress.finish();
  report.curve = curve;
  if (!curve.empty()) {
    const auto& last = curve.back();
    report.loss = last.loss;
    report.denoise = last.denoise;
    report.state = last.state;
    report.success = last.success;
    report.reward = last.reward;
  }

  // 6. Optional one-step evaluation of the EMA weights on held-out data.
  if (!job.eval_data.empty() && leader) {
    EpisodeIndexOptions eo = io;
    eo.paths = job.eval_data;
    eo.fraction = 1.0;
    auto eval_index = std::make_shared<const EpisodeIndex>(eo);
    WindowLoader eval_loader(eval_index, config, std::min<int>(job.batch_size, 32), job.seed ^ 0xE7A1ull);
    A2World model(config, norm.to(torch::kCPU), device);
    model.set_precision(precision);
    {
      torch::NoGradGuard no_grad;
      auto src = ema->named_parameters();
      for (auto& p : model.net()->named_parameters()) p.value().copy_(src[p.key()]);
    }
    report.eval = evaluate_one_step(model, eval_loader, job.eval_windows).to_dict();
  }
  return report;
}

}  // namespace a2w::wm
