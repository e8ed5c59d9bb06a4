#include "a2w/wm/bc_train.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <sstream>

#include "a2w/env/error.h"
#include "a2w/env/progress.h"
#include "a2w/env/rng.h"
#include "a2w/wm/adamw.h"
#include "a2w/wm/bc_policy.h"
#include "a2w/wm/checkpoint.h"
#include "a2w/wm/device.h"
#include "a2w/wm/episode_index.h"
#include "a2w/wm/lr_schedule.h"
#include "a2w/wm/precision.h"
#include "a2w/wm/threads.h"
#include "printf_format.h"
#include "train_common.h"

namespace a2w::wm {

namespace {

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

env::Dict curve_point_dict(const BCCurvePoint& p) {
  return {{"step", p.step},
          {"seconds", p.seconds},
          {"loss", p.loss},
          {"lr", p.lr},
          {"samples_per_second", p.samples_per_second}};
}

BCCurvePoint curve_point_from(const env::Dict& d) {
  BCCurvePoint p;
  p.step = env::get(d, "step").as_int();
  p.seconds = env::get(d, "seconds").as_double();
  p.loss = env::get(d, "loss").as_double();
  p.lr = env::get(d, "lr").as_double();
  p.samples_per_second = env::get(d, "samples_per_second").as_double();
  return p;
}

void check_job(const BCTrainJob& job) {
  if (job.data.empty())
    throw InvalidArgument("BCTrainJob: expected at least one dataset folder in data, got none");
  if (job.out.empty()) throw InvalidArgument("BCTrainJob: expected an output policy path in out, got none");
  if (job.steps < 1)
    throw InvalidArgument("BCTrainJob: expected steps >= 1, got " + std::to_string(job.steps));
  if (job.batch_size < 1)
    throw InvalidArgument("BCTrainJob: expected batch_size >= 1, got " + std::to_string(job.batch_size));
  if (!(job.lr > 0)) throw InvalidArgument("BCTrainJob: expected lr > 0, got " + std::to_string(job.lr));
  if (!(job.fraction > 0 && job.fraction <= 1))
    throw InvalidArgument("BCTrainJob: expected fraction in (0, 1], got " + std::to_string(job.fraction));
  if (!(job.ema_decay >= 0 && job.ema_decay < 1))
    throw InvalidArgument("BCTrainJob: expected ema_decay in [0, 1), got " + std::to_string(job.ema_decay));
  if (job.threads < 0)
    throw InvalidArgument("BCTrainJob: expected threads >= 0, got " + std::to_string(job.threads));
  if (job.eval_samples < 1)
    throw InvalidArgument("BCTrainJob: expected eval_samples >= 1, got " + std::to_string(job.eval_samples));
}

BCConfig apply_overrides(const BCConfig& base, const env::Dict& overrides) {
  if (overrides.empty()) return base;
  auto d = base.to_dict();
  for (const auto& [k, v] : overrides) d[k] = v;
  return BCConfig::from_dict(d);
}

// Every sample of the kept episodes, in memory.
struct Samples {
  torch::Tensor views;    // u8 [N, V, S, S, 3]
  torch::Tensor proprio;  // f32 [N, 8]
  torch::Tensor actions;  // f32 [N, H, A]: actions t .. t + H - 1 (past the end: the last action)
  torch::Tensor mask;     // f32 [N, H]: 1 for steps inside the episode
  torch::Tensor task;     // i64 [N]: row of the config's tasks, -1 for none
  std::int64_t episodes = 0;
  std::vector<std::string> tasks;  // of the kept episodes, sorted
  int data_image_size = 0;
  std::int64_t size() const { return views.defined() ? views.size(0) : 0; }
};

std::shared_ptr<const EpisodeIndex> make_index(const std::vector<std::string>& paths, const BCTrainJob& job,
                                               const BCConfig& config) {
  EpisodeIndexOptions io;
  io.paths = paths;
  io.tasks = job.tasks;
  io.exclude_tasks = job.exclude_tasks;
  io.fraction = job.fraction;
  io.seed = job.seed;
  io.view_keys = config.view_keys;
  io.action_dim = config.action_dim;
  io.action_horizon = 0;  // every episode of at least one step
  return std::make_shared<const EpisodeIndex>(io);
}

bool succeeded(const Episode& e) {
  const float* s = e.success.data<float>();
  return std::any_of(s, s + e.length, [](float x) { return x > 0.5f; });
}

// Reads the kept episodes' frames (resized to config.image_size when `image_size` > 0 and different), proprio
// and action chunks. Task rows index config.tasks.
Samples read_samples(const EpisodeIndex& index, const BCConfig& config, bool successful_only,
                     int image_size) {
  Samples s;
  std::vector<const Episode*> kept;
  std::int64_t n = 0;
  for (const auto& e : index.episodes())
    if (!successful_only || succeeded(e)) {
      kept.push_back(&e);
      n += e.length;
    }
  if (kept.empty())
    throw InvalidArgument("train_bc: no successful episode among the " +
                          std::to_string(index.episodes().size()) + " episodes of " +
                          join(index.options().paths) +
                          " (no step has success set); keep failures too with successful_only = false "
                          "(--all-episodes)");
  s.data_image_size = index.image_size();
  const int size = image_size > 0 ? image_size : s.data_image_size;
  const auto v = static_cast<std::int64_t>(config.view_keys.size());
  const std::int64_t h = config.chunk, a = config.action_dim;
  s.views = torch::empty({n, v, size, size, 3}, torch::kUInt8);
  s.proprio = torch::empty({n, BCConfig::kProprioDim}, torch::kFloat);
  s.actions = torch::empty({n, h, a}, torch::kFloat);
  s.mask = torch::zeros({n, h}, torch::kFloat);
  s.task = torch::empty({n}, torch::kLong);
  std::vector<std::string> tasks;
  std::int64_t at = 0;
  for (const Episode* e : kept) {
    const env::DatasetReader& r = index.reader(e->file);
    const std::int64_t t = e->length;
    const auto where = [&](const std::string& key) { return r.path().string() + " " + e->demo + "/" + key; };
    for (std::int64_t i = 0; i < v; ++i) {
      const env::Array frames = r.read(e->demo, "obs/" + config.view_keys[static_cast<std::size_t>(i)]);
      torch::Tensor f = torch::from_blob(const_cast<void*>(frames.raw()),
                                         {frames.dim(0), frames.dim(1), frames.dim(2), 3}, torch::kUInt8);
      if (frames.dim(0) != t)
        throw InvalidArgument("train_bc: expected " + std::to_string(t) + " frames in " +
                              where("obs/" + config.view_keys[static_cast<std::size_t>(i)]) + ", got " +
                              std::to_string(frames.dim(0)));
      s.views.narrow(0, at, t).select(1, i).copy_(resize_frames(f, size));
    }
    std::int64_t col = 0;
    for (const auto& [key, width] :
         {std::pair<const char*, std::int64_t>{"ee_pos", 3}, {"ee_ori", 3}, {"gripper_states", 2}}) {
      const std::string k = std::string("obs/") + key;
      if (!r.has(e->demo, k))
        throw InvalidArgument("train_bc: expected proprio " + where(k) + " (float32 [T, " +
                              std::to_string(width) + "]), found none");
      env::Array p = r.read(e->demo, k);
      if (p.ndim() != 2 || p.dim(0) != t || p.dim(1) != width)
        throw InvalidArgument("train_bc: expected " + where(k) + " of shape [" + std::to_string(t) + ", " +
                              std::to_string(width) + "], got " + env::describe(p));
      if (p.dtype() != env::DType::kFloat32) p = p.astype(env::DType::kFloat32);
      s.proprio.narrow(0, at, t)
          .narrow(1, col, width)
          .copy_(torch::from_blob(p.data<float>(), {t, width}, torch::kFloat));
      col += width;
    }
    const torch::Tensor acts =
        torch::from_blob(const_cast<float*>(e->actions.data<float>()), {t, a}, torch::kFloat);
    for (std::int64_t k = 0; k < h; ++k) {
      // Sample j's step k is action j + k; past the end, the last action (masked out of the loss).
      const auto src = torch::clamp(torch::arange(k, t + k, torch::kLong), 0, t - 1);
      s.actions.narrow(0, at, t).select(1, k).copy_(acts.index_select(0, src));
      if (t - k > 0) s.mask.narrow(0, at, t).select(1, k).narrow(0, 0, t - k).fill_(1.0f);
    }
    const auto it = std::find(config.tasks.begin(), config.tasks.end(), e->task);
    s.task.narrow(0, at, t).fill_(
        it == config.tasks.end() ? -1 : static_cast<std::int64_t>(it - config.tasks.begin()));
    if (std::find(tasks.begin(), tasks.end(), e->task) == tasks.end()) tasks.push_back(e->task);
    at += t;
  }
  std::sort(tasks.begin(), tasks.end());
  s.tasks = tasks;
  s.episodes = static_cast<std::int64_t>(kept.size());
  return s;
}

BCNormalizer statistics(const Samples& s) {
  constexpr double kFloor = 1e-2;  // a constant dimension must not blow up when standardised
  const torch::Tensor p = s.proprio.to(torch::kDouble);
  const torch::Tensor a = s.actions.select(1, 0).to(torch::kDouble);  // every step once
  BCNormalizer n;
  n.proprio_mean = p.mean(0).to(torch::kFloat);
  n.proprio_std = p.std(0, /*unbiased=*/false).clamp_min(kFloor).to(torch::kFloat);
  n.action_mean = a.mean(0).to(torch::kFloat);
  n.action_std = a.std(0, /*unbiased=*/false).clamp_min(kFloor).to(torch::kFloat);
  return n;
}

// A training batch: rows drawn from step's own stream, each view shifted by up to `shift` pixels.
struct Batch {
  torch::Tensor images, proprio, actions, mask, task;
};

Batch make_batch(const Samples& s, const BCNormalizer& norm, int batch_size, int shift, std::uint64_t seed,
                 std::int64_t step, torch::Device device) {
  env::Rng rng(env::episode_seed(seed, 0xBCBA7C4ull, static_cast<std::uint64_t>(step)));
  std::vector<std::int64_t> rows(static_cast<std::size_t>(batch_size));
  for (auto& r : rows) r = static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(s.size())));
  const torch::Tensor idx = torch::tensor(rows, torch::kLong);
  torch::Tensor images = bc_image_input(s.views.index_select(0, idx));  // [B, V, 3, S, S]
  if (shift > 0) {
    namespace F = torch::nn::functional;
    const auto b = images.size(0), v = images.size(1), size = images.size(3);
    const auto flat = images.reshape({b * v, 3, size, size});
    const auto padded = F::pad(flat, F::PadFuncOptions({shift, shift, shift, shift}).mode(torch::kReplicate));
    auto shifted = torch::empty_like(flat);
    for (std::int64_t i = 0; i < b * v; ++i) {
      const auto dy = static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(2 * shift + 1)));
      const auto dx = static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(2 * shift + 1)));
      shifted[i].copy_(padded[i].narrow(1, dy, size).narrow(2, dx, size));
    }
    images = shifted.reshape({b, v, 3, size, size});
  }
  Batch out;
  out.images = images.to(device);
  out.proprio = ((s.proprio.index_select(0, idx) - norm.proprio_mean) / norm.proprio_std).to(device);
  out.actions = ((s.actions.index_select(0, idx) - norm.action_mean) / norm.action_std).to(device);
  out.mask = s.mask.index_select(0, idx).to(device);
  out.task = s.task.index_select(0, idx).to(device);
  return out;
}

// Masked mean over steps inside the episode of the per-element loss, averaged over action dimensions.
torch::Tensor chunk_loss(const torch::Tensor& predicted, const Batch& batch, const std::string& kind) {
  const torch::Tensor diff = predicted.to(torch::kFloat) - batch.actions;
  const torch::Tensor per_step = (kind == "mse" ? diff.square() : diff.abs()).mean(-1);  // [B, H]
  return (per_step * batch.mask).sum() / batch.mask.sum().clamp_min(1.0);
}

// Action errors of `net` on every `stride`-th held-out sample, in action units.
env::Dict evaluate(BCNet& net, const BCNormalizer& cpu_norm, const Samples& s, std::int64_t max_samples,
                   torch::Device device) {
  torch::NoGradGuard no_grad;
  net->eval();
  const std::int64_t n = std::min<std::int64_t>(s.size(), max_samples);
  std::vector<std::int64_t> rows(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) rows[static_cast<std::size_t>(i)] = i * s.size() / n;
  const BCNormalizer norm = cpu_norm.to(device);
  torch::Tensor abs_first = torch::zeros({s.actions.size(2)}, torch::kDouble);
  double chunk_sum = 0, mask_sum = 0, baseline_sum = 0, gripper_agree = 0;
  constexpr std::int64_t kBatch = 256;
  for (std::int64_t b0 = 0; b0 < n; b0 += kBatch) {
    const auto m = std::min(kBatch, n - b0);
    const auto idx =
        torch::tensor(std::vector<std::int64_t>(rows.begin() + b0, rows.begin() + b0 + m), torch::kLong);
    const auto images = bc_image_input(s.views.index_select(0, idx)).to(device);
    const auto proprio = ((s.proprio.index_select(0, idx).to(device) - norm.proprio_mean) / norm.proprio_std);
    const auto task = s.task.index_select(0, idx).to(device);
    const auto predicted = (net->forward(images, proprio, task) * norm.action_std + norm.action_mean)
                               .clamp(-1.0, 1.0)
                               .to(torch::kCPU, torch::kDouble);
    const auto truth = s.actions.index_select(0, idx).to(torch::kDouble);
    const auto mask = s.mask.index_select(0, idx).to(torch::kDouble);
    const auto err = (predicted - truth).abs();  // [m, H, A]
    abs_first += err.select(1, 0).sum(0);
    chunk_sum += (err.mean(-1) * mask).sum().item<double>();
    mask_sum += mask.sum().item<double>();
    baseline_sum += (truth.select(1, 0) - cpu_norm.action_mean.to(torch::kDouble).unsqueeze(0))
                        .abs()
                        .mean(-1)
                        .sum()
                        .item<double>();
    const auto a = s.actions.size(2) - 1;
    gripper_agree += (predicted.select(1, 0).select(1, a).ge(0) == truth.select(1, 0).select(1, a).ge(0))
                         .sum()
                         .item<double>();
  }
  const auto per_dim = abs_first / static_cast<double>(n);
  env::List dims;
  for (std::int64_t j = 0; j < per_dim.size(0); ++j) dims.emplace_back(per_dim[j].item<double>());
  return {{"samples", n},
          {"episodes", s.episodes},
          {"action_mae", per_dim.mean().item<double>()},
          {"chunk_mae", chunk_sum / std::max(mask_sum, 1.0)},
          {"mean_action_mae", baseline_sum / static_cast<double>(n)},
          {"gripper_agreement", gripper_agree / static_cast<double>(n)},
          {"action_mae_per_dim", dims}};
}

std::int64_t parameter_total(torch::nn::Module& m) {
  std::int64_t n = 0;
  for (const auto& p : m.parameters()) n += p.numel();
  return n;
}

}  // namespace

env::Dict BCTrainReport::to_dict() const {
  env::List c;
  for (const auto& p : curve) c.emplace_back(curve_point_dict(p));
  return {{"kind", std::string(kBCKind)},
          {"out", out},
          {"config", config},
          {"parameters", parameters},
          {"tasks", to_list(tasks)},
          {"episodes", episodes},
          {"samples", samples},
          {"start_step", start_step},
          {"steps", steps},
          {"finished", finished},
          {"batch_size", batch_size},
          {"threads", threads},
          {"precision", precision},
          {"seconds", seconds},
          {"load_seconds", load_seconds},
          {"samples_per_second", samples_per_second},
          {"loss", loss},
          {"curve", c},
          {"eval", eval}};
}

std::string BCTrainReport::to_text() const {
  std::ostringstream s;
  s << "a2w policy train --kind bc: " << out << "\n";
  s << "  model      " << config << ", " << fmt("%.2f", static_cast<double>(parameters) / 1e6)
    << "M parameters, " << tasks.size() << " task rows\n";
  s << "  data       " << episodes << " episodes, " << samples << " samples (read in "
    << fmt("%.1f", load_seconds) << " s), tasks: " << join(tasks) << "\n";
  s << "  steps      " << start_step << " -> " << steps << " at batch " << batch_size << ", " << threads
    << " threads, " << precision << ", " << fmt("%.0f", seconds) << " s, " << fmt("%.1f", samples_per_second)
    << " samples/s" << (finished ? "" : " (stopped early; --resume continues)") << "\n";
  s << "  loss       " << fmt("%.4f", loss) << "\n";
  if (curve.size() > 1) {
    s << "  curve      step: loss\n";
    const std::size_t every = std::max<std::size_t>(1, curve.size() / 10);
    for (std::size_t i = 0; i < curve.size(); ++i)
      if (i % every == 0 || i + 1 == curve.size())
        s << "    " << curve[i].step << ": " << fmt("%.4f", curve[i].loss) << "\n";
  }
  if (!eval.empty()) {
    auto g = [&](const char* k) { return env::get(eval, k).as_double(); };
    s << "  held-out   " << env::get(eval, "samples").as_int() << " samples: action error (mean |a - a*|) "
      << fmt("%.4f", g("action_mae")) << " (whole chunk " << fmt("%.4f", g("chunk_mae"))
      << "; mean-action baseline " << fmt("%.4f", g("mean_action_mae")) << "), gripper sign agreement "
      << fmt("%.3f", g("gripper_agreement")) << "\n";
  }
  return s.str();
}

BCTrainReport train_bc(const BCTrainJob& job) {
  check_job(job);
  const auto device = parse_device(job.device, "BCTrainJob.device");
  const int threads = set_torch_threads(job.threads);
  BCTrainReport report;
  report.out = job.out;
  report.batch_size = job.batch_size;
  report.threads = threads;
  const Precision precision = parse_precision(job.precision, device);
  report.precision = precision_name(precision);

  // 1. Where the weights start: this run's checkpoint (resume) or fresh.
  const bool resuming = job.resume && std::filesystem::exists(job.out);
  Checkpoint start;
  BCConfig config;
  if (resuming) {
    start = read_checkpoint(job.out);
    const std::string kind = env::get_or(start.meta, "kind", std::string());
    if (kind != kBCKind)
      throw InvalidArgument("train_bc: --resume: " + job.out + " is not a BC policy checkpoint (meta kind " +
                            (kind.empty() ? std::string("missing") : "'" + kind + "'") +
                            ", expected 'bc'); choose another --out or drop --resume");
    config = BCConfig::from_dict(env::get(start.meta, "bc_config").as_dict());
    report.config = env::get_or(start.meta, "preset", std::string("from checkpoint"));
  } else {
    config = apply_overrides(BCConfig::preset(job.config), job.config_overrides);
    report.config = job.config;
  }

  // 2. Data: the frame size and the task rows come from it (a resumed run keeps its own).
  const auto load_t0 = Clock::now();
  const auto index = make_index(job.data, job, config);
  if (!resuming) {
    config.image_size = index->image_size();
    config.tasks = index->tasks();
    if (job.config_overrides.count("image_size"))
      config.image_size = static_cast<int>(env::get(job.config_overrides, "image_size").as_int());
  }
  config.validate();
  const Samples samples = read_samples(*index, config, job.successful_only, config.image_size);
  report.load_seconds = seconds_since(load_t0);
  report.tasks = config.tasks;
  report.episodes = samples.episodes;
  report.samples = samples.size();

  // 3. Model, EMA, optimizer, statistics.
  torch::manual_seed(job.seed);
  BCNet net(config), ema(config);
  BCNormalizer norm;
  std::int64_t step0 = 0;
  std::vector<BCCurvePoint> curve;
  double seconds_before = 0;
  if (resuming) {
    load_module(start, *net, "model/");
    load_module(start, *ema, "ema/");
    norm = BCNormalizer::from(start);
    step0 = env::get(start.meta, "step").as_int();
    seconds_before = env::get_or(start.meta, "seconds", 0.0);
    if (start.meta.count("curve"))
      for (const auto& p : env::get(start.meta, "curve").as_list())
        curve.push_back(curve_point_from(p.as_dict()));
  } else {
    torch::NoGradGuard no_grad;
    auto src = net->named_parameters();
    for (auto& p : ema->named_parameters()) p.value().copy_(src[p.key()]);
    norm = statistics(samples);
  }
  net->to(device);
  ema->to(device);
  for (auto& p : ema->parameters()) p.set_requires_grad(false);
  AdamW optimizer(*net, {.weight_decay = job.weight_decay});
  if (resuming) optimizer.load(start, "optim/");
  start = Checkpoint();
  const BCNormalizer cpu_norm = norm;  // batches are built on the CPU
  report.parameters = parameter_total(*net);
  report.start_step = step0;
  report.steps = step0;

  auto save = [&](std::int64_t step, double seconds) {
    Checkpoint ck;
    env::List c;
    for (const auto& p : curve) c.emplace_back(curve_point_dict(p));
    ck.meta = {{"kind", std::string(kBCKind)},
               {"bc_config", config.to_dict()},
               {"preset", report.config},
               {"step", step},
               {"seconds", seconds},
               {"seed", static_cast<std::int64_t>(job.seed)},
               {"data", to_list(job.data)},
               {"data_tasks", to_list(samples.tasks)},
               {"successful_only", job.successful_only},
               {"fraction", job.fraction},
               {"batch_size", job.batch_size},
               {"lr", job.lr},
               {"steps_planned", job.steps},
               {"precision", report.precision},
               {"has_ema", true},
               {"has_optimizer", true},
               {"curve", c}};
    add_module(ck, *net, "model/");
    add_module(ck, *ema, "ema/");
    optimizer.save(ck, "optim/");
    cpu_norm.add_to(ck);
    write_checkpoint(job.out, ck);
  };

  // 4. The loop.
  const std::int64_t warmup =
      job.warmup_steps >= 0 ? job.warmup_steps : std::min<std::int64_t>(200, job.steps / 10);
  env::Progress progress("train bc", job.steps, job.progress ? stderr : nullptr);
  progress.advance(step0);
  const auto t0 = Clock::now();
  auto interval_start = t0;
  double sum_loss = 0;
  std::int64_t interval_steps = 0, done_here = 0;
  net->train();
  std::int64_t step = step0;
  const auto out_of_time = [&] {
    return (job.stop_at_step > 0 && step >= job.stop_at_step) ||
           (job.max_minutes > 0 && seconds_since(t0) >= 60.0 * job.max_minutes);
  };
  for (; step < job.steps && !out_of_time(); ++step) {
    const double lr = warmup_cosine_lr(job.lr, job.min_lr_ratio, warmup, job.steps, step);
    const Batch batch =
        make_batch(samples, cpu_norm, job.batch_size, config.augment_shift, job.seed, step, device);
    optimizer.zero_grad();
    torch::Tensor loss;
    {
      PrecisionGuard guard(precision, device);  // the forward pass; backward runs outside, as with autocast
      const torch::Tensor predicted = net->forward(batch.images, batch.proprio, batch.task);
      loss = chunk_loss(predicted, batch, config.loss);
    }
    const double value = loss.item<double>();
    if (!std::isfinite(value))
      throw Error("train_bc: the loss became " + std::to_string(value) + " at step " + std::to_string(step) +
                  " (try a lower lr)");
    loss.backward();
    if (job.grad_clip > 0) torch::nn::utils::clip_grad_norm_(net->parameters(), job.grad_clip);
    optimizer.step(lr);
    ema_update(*ema, *net, ema_decay_at(job.ema_decay, step));

    sum_loss += value;
    ++interval_steps;
    ++done_here;
    const std::int64_t done = step + 1;
    const bool stopping = done == job.steps || (job.stop_at_step > 0 && done >= job.stop_at_step) ||
                          (job.max_minutes > 0 && seconds_since(t0) >= 60.0 * job.max_minutes);
    if (done % std::max<std::int64_t>(1, job.log_every) == 0 || stopping) {
      const double dt = seconds_since(interval_start);
      const double n = static_cast<double>(interval_steps);
      curve.push_back({done, seconds_before + seconds_since(t0), sum_loss / n, lr,
                       n * job.batch_size / std::max(dt, 1e-9)});
      progress.set_postfix("loss " + fmt("%.4f", curve.back().loss) + "  " +
                           fmt("%.1f", curve.back().samples_per_second) + " samples/s");
      sum_loss = 0;
      interval_steps = 0;
      interval_start = Clock::now();
    }
    progress.advance();
    if (job.checkpoint_every > 0 && done % job.checkpoint_every == 0 && !stopping)
      save(done, seconds_before + seconds_since(t0));
  }
  report.seconds = seconds_since(t0);
  report.samples_per_second =
      static_cast<double>(done_here * job.batch_size) / std::max(report.seconds, 1e-9);
  report.steps = step;
  report.finished = step >= job.steps;
  save(step, seconds_before + report.seconds);
  progress.finish();
  report.curve = curve;
  if (!curve.empty()) report.loss = curve.back().loss;

  // 5. Optional held-out action error of the EMA weights (what the policy acts with), in float32.
  if (!job.eval_data.empty()) {
    BCTrainJob eval_job = job;  // the same tasks, all of their episodes
    eval_job.fraction = 1.0;
    const auto eval_index = make_index(job.eval_data, eval_job, config);
    const Samples held_out = read_samples(*eval_index, config, job.successful_only, config.image_size);
    report.eval = evaluate(ema, cpu_norm, held_out, job.eval_samples, device);
    report.eval["successful_only"] = job.successful_only;
  }
  return report;
}

}  // namespace a2w::wm
