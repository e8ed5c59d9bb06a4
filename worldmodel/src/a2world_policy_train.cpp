#include "a2w/wm/a2world_policy_train.h"

#include <ATen/CPUGeneratorImpl.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <sstream>

#include "a2w/env/error.h"
#include "a2w/env/progress.h"
#include "a2w/wm/a2world_policy.h"
#include "a2w/wm/adamw.h"
#include "a2w/wm/device.h"
#include "a2w/wm/edm.h"
#include "a2w/wm/episode_index.h"
#include "a2w/wm/frames.h"
#include "a2w/wm/lr_schedule.h"
#include "a2w/wm/precision.h"
#include "a2w/wm/threads.h"
#include "a2w/wm/window_loader.h"
#include "printf_format.h"
#include "train_common.h"

namespace a2w::wm {

namespace {

env::Dict point_dict(const A2WorldPolicyCurvePoint& p) {
  return {{"step", p.step},
          {"seconds", p.seconds},
          {"loss", p.loss},
          {"action_loss", p.action_loss},
          {"frame_loss", p.frame_loss},
          {"lr", p.lr}};
}

A2WorldPolicyCurvePoint point_from(const env::Dict& d) {
  return {env::get(d, "step").as_int(),       env::get_or(d, "seconds", 0.0),    env::get_or(d, "loss", 0.0),
          env::get_or(d, "action_loss", 0.0), env::get_or(d, "frame_loss", 0.0), env::get_or(d, "lr", 0.0)};
}

torch::Tensor per_row(const torch::Tensor& v, int dims) {
  std::vector<std::int64_t> shape(static_cast<std::size_t>(dims), 1);
  shape[0] = -1;
  return v.view(shape);
}

void check_job(const A2WorldPolicyTrainJob& job) {
  if (job.data.empty()) throw InvalidArgument("train_a2world_policy: expected at least one data folder");
  if (job.out.empty()) throw InvalidArgument("train_a2world_policy: expected an output file (out)");
  if (job.steps < 1 || job.batch_size < 1)
    throw InvalidArgument("train_a2world_policy: expected steps >= 1 and batch_size >= 1");
  if (!(job.lr > 0) || !(job.ema_decay >= 0 && job.ema_decay < 1))
    throw InvalidArgument("train_a2world_policy: expected lr > 0 and ema_decay in [0, 1)");
  if (job.chunk < 0 || job.execute < 0)
    throw InvalidArgument("train_a2world_policy: expected chunk and execute >= 0 (0: the preset's)");
}

struct Loss {
  torch::Tensor total;
  double action = 0, frame = 0;
};

// One batch's loss (see the header).
Loss policy_loss(A2WorldPolicyNet& net, const TrainBatch& batch, const torch::Tensor& words,
                 const StateNormalizer& state_norm, const ActionNormalizer& action_norm, at::Generator& gen) {
  const A2WorldPolicyConfig& cfg = net->config();
  const WorldModelConfig& c = cfg.trunk;
  const auto device = batch.history.device();
  const std::int64_t b = batch.size(), k = c.context_frames;
  auto randn = [&](std::vector<std::int64_t> shape) { return torch::randn(shape, gen).to(device); };
  auto rand = [&](std::vector<std::int64_t> shape) { return torch::rand(shape, gen).to(device); };

  const auto history = frames_to_model(batch.history);
  const auto context = history.narrow(2, 1, k);
  const auto anchor = frames_to_model(batch.anchor);
  const auto x0 = frames_to_model(batch.target);
  const auto moving =
      (x0 - history.select(2, k)).abs().amax(2, true).gt(2.0 * c.moving_pixel_threshold / 255.0);
  const auto weight = 1.0 + c.moving_pixel_weight * moving.to(torch::kFloat32);

  const auto context_sigma = rand({b}) * c.context_noise_train_max;
  const auto noisy_context = context + per_row(context_sigma, 6) * randn(context.sizes().vec());

  // Frames: in the policy's rows pure noise at the largest level (nothing of the future leaks in).
  const auto policy_rows = rand({b}).lt(cfg.policy_mode_prob);
  auto sigma_v = (randn({b}) * c.p_std + c.p_mean).exp().clamp(c.sigma_min, c.train_sigma_max);
  sigma_v = torch::where(policy_rows, torch::full_like(sigma_v, c.train_sigma_max), sigma_v);
  const auto noise_v = per_row(sigma_v, 5) * randn(x0.sizes().vec());
  const auto noisy_v = torch::where(per_row(policy_rows, 5), noise_v, x0 + noise_v);
  const auto sv = edm_scaling(sigma_v, c.sigma_data);

  // Actions, standardised.
  const auto a0 = (batch.actions - action_norm.mean) / action_norm.std;
  const auto sigma_a =
      (randn({b}) * cfg.action_p_std + cfg.action_p_mean).exp().clamp(c.sigma_min, cfg.action_sigma_max);
  const auto noisy_a = a0 + per_row(sigma_a, 3) * randn(a0.sizes().vec());
  const auto sa = edm_scaling(sigma_a, cfg.action_sigma_data);

  const auto mask = proprio_state_mask(c.state_dim).to(device).unsqueeze(0).expand({b, c.state_dim});
  const auto z = state_norm.normalize(batch.state_in) * mask;

  const auto tokens = net->embed_context(noisy_context, anchor);
  const auto cond = net->embed_condition(context_sigma, z, mask);
  const auto instruction = net->embed_instruction(words);
  const auto [fv, fa] = net->forward(noisy_v * per_row(sv.c_in, 5), sv.c_noise, tokens, cond, instruction,
                                     noisy_a * per_row(sa.c_in, 3), sa.c_noise);

  const auto target_a = (a0 - per_row(sa.c_skip, 3) * noisy_a) / per_row(sa.c_out, 3);
  // Only the episode's own actions (a chunk may run past its end) and frames that are the one after the
  // chunk.
  const auto action_mask = batch.action_mask.unsqueeze(2);
  const auto action_loss =
      ((fa - target_a).square() * action_mask).sum() / (action_mask.sum() * fa.size(2)).clamp_min(1.0);
  const auto target_v = (x0 - per_row(sv.c_skip, 5) * noisy_v) / per_row(sv.c_out, 5);
  const auto frame_rows = (policy_rows.logical_not() & batch.target_valid).to(torch::kFloat32);
  const auto per_row_frame = (weight * (fv - target_v).square()).mean({1, 2, 3, 4});
  const auto frame_loss = (per_row_frame * frame_rows).sum() / frame_rows.sum().clamp_min(1.0);

  Loss out;
  out.total = action_loss + cfg.frame_loss_weight * frame_loss;
  out.action = action_loss.item<double>();
  out.frame = frame_loss.item<double>();
  return out;
}

}  // namespace

env::Dict A2WorldPolicyTrainReport::to_dict() const {
  env::List c;
  for (const auto& p : curve) c.emplace_back(point_dict(p));
  return {{"out", out},
          {"config", config},
          {"from", from},
          {"fresh", to_list(fresh)},
          {"parameters", parameters},
          {"episodes", episodes},
          {"transitions", transitions},
          {"tasks", to_list(tasks)},
          {"vocabulary", vocabulary},
          {"start_step", start_step},
          {"steps", steps},
          {"finished", finished},
          {"seconds", seconds},
          {"samples_per_second", samples_per_second},
          {"loss", loss},
          {"action_loss", action_loss},
          {"frame_loss", frame_loss},
          {"precision", precision},
          {"curve", c}};
}

std::string A2WorldPolicyTrainReport::to_text() const {
  std::ostringstream s;
  s << "A2World-policy " << out << ": " << (from.empty() ? "from scratch (" + config + ")" : "from " + from)
    << ", " << parameters << " parameters, " << episodes << " episodes of " << tasks.size() << " tasks, "
    << vocabulary << " words\n";
  if (!from.empty()) s << "  trunk tensors not taken from the pretrained model: " << fresh.size() << "\n";
  s << "  steps " << start_step << " -> " << steps << (finished ? "" : " (stopped early; --resume continues)")
    << " in " << fmt("%.1f", seconds) << " s, " << fmt("%.1f", samples_per_second) << " samples/s; loss "
    << fmt("%.4f", loss) << " (actions " << fmt("%.4f", action_loss) << ", frames " << fmt("%.4f", frame_loss)
    << ")\n";
  return s.str();
}

A2WorldPolicyTrainReport train_a2world_policy(const A2WorldPolicyTrainJob& job) {
  check_job(job);
  const auto device = parse_device(job.device, "A2WorldPolicyTrainJob.device");
  set_torch_threads(job.threads);
  const Precision precision = parse_precision(job.precision, device);
  A2WorldPolicyTrainReport report;
  report.out = job.out;
  report.from = job.from;
  report.precision = precision_name(precision);

  // 1. Config: the resumed file's, the pretrained model's trunk, or a preset.
  const bool resuming = job.resume && std::filesystem::exists(job.out);
  Checkpoint start, pretrained;
  A2WorldPolicyConfig config;
  if (resuming) {
    start = read_checkpoint(job.out);
    const std::string kind = env::get_or(start.meta, "kind", std::string());
    if (kind != kA2WorldPolicyKind)
      throw InvalidArgument("train_a2world_policy: --resume: " + job.out +
                            " is not an A2World-policy file (kind " +
                            (kind.empty() ? std::string("missing") : "'" + kind + "'") + ")");
    config = A2WorldPolicyConfig::from_dict(env::get(start.meta, "policy_config").as_dict(), start.config);
    report.config = env::get_or(start.meta, "preset", std::string("from checkpoint"));
  } else {
    config = A2WorldPolicyConfig::preset(job.config);
    report.config = job.config;
    if (!job.from.empty()) {
      pretrained = read_checkpoint(job.from);
      if (pretrained.meta.count("kind"))
        throw InvalidArgument("train_a2world_policy: --from " + job.from + " is a '" +
                              env::get(pretrained.meta, "kind").as_string() +
                              "' file; expected a pretrained A2World world model (a2w wm pretrain)");
      const int chunk = config.chunk();
      config.trunk = pretrained.config;
      config.trunk.action_horizon = chunk;
      config.trunk.tasks.clear();
      config.trunk.state_input = true;
      report.config = "trunk of " + job.from;
    }
    if (job.chunk > 0) config.trunk.action_horizon = job.chunk;
    if (job.execute > 0) config.execute = job.execute;
    config.execute = std::min(config.execute, config.chunk());
  }

  // 2. Data.
  EpisodeIndexOptions io;
  io.paths = job.data;
  io.tasks = job.tasks;
  io.exclude_tasks = job.exclude_tasks;
  io.fraction = job.fraction;
  io.seed = job.seed;
  io.view_keys = config.trunk.view_keys;
  io.action_dim = config.trunk.action_dim;
  io.state_dim = config.trunk.state_dim;
  io.action_horizon = 1;  // episodes shorter than a chunk stay: their windows are partial chunks
  io.successful_only = job.successful_only;
  const auto index = std::make_shared<const EpisodeIndex>(io);
  if (!resuming) {
    if (job.from.empty()) config.trunk.image_size = index->image_size();
    std::vector<std::string> instructions;
    for (const auto& e : index->episodes()) instructions.push_back(e.instruction);
    config.vocabulary = InstructionTokenizer::vocabulary_of(instructions);
  }
  config.validate();
  report.tasks = index->tasks();
  report.episodes = static_cast<std::int64_t>(index->episodes().size());
  report.transitions = index->transitions();
  report.vocabulary = static_cast<std::int64_t>(config.vocabulary.size());
  const InstructionTokenizer tokenizer(config.vocabulary);

  // 3. Model, EMA, statistics, optimizer.
  torch::manual_seed(job.seed);
  A2WorldPolicyNet net(config), ema(config);
  StateNormalizer state_norm;
  ActionNormalizer action_norm;
  std::int64_t step0 = 0;
  double seconds_before = 0;
  std::vector<A2WorldPolicyCurvePoint> curve;
  if (resuming) {
    load_module(start, *net, "model/");
    load_module(start, *ema, "ema/");
    state_norm = read_normalizer(start);
    action_norm = ActionNormalizer::from(start);
    step0 = env::get(start.meta, "step").as_int();
    seconds_before = env::get_or(start.meta, "seconds", 0.0);
    if (start.meta.count("curve"))
      for (const auto& p : env::get(start.meta, "curve").as_list()) curve.push_back(point_from(p.as_dict()));
    if (start.meta.count("fresh"))
      for (const auto& f : env::get(start.meta, "fresh").as_list()) report.fresh.push_back(f.as_string());
  } else {
    if (!job.from.empty()) {
      report.fresh = init_trunk_from(net, pretrained);
      state_norm = read_normalizer(pretrained);
    } else {
      std::vector<double> count, sum, sum_sq;
      index->state_moments(count, sum, sum_sq);
      state_norm = StateNormalizer::from_moments(count, sum, sum_sq);
    }
    // Per-dimension action statistics of the kept episodes.
    const int a = config.trunk.action_dim;
    std::vector<double> s(static_cast<std::size_t>(a), 0.0), s2(static_cast<std::size_t>(a), 0.0);
    double n = 0;
    for (const auto& e : index->episodes()) {
      const float* p = e.actions.data<float>();
      for (std::int64_t t = 0; t < e.length; ++t, n += 1)
        for (int d = 0; d < a; ++d) {
          s[static_cast<std::size_t>(d)] += p[t * a + d];
          s2[static_cast<std::size_t>(d)] += static_cast<double>(p[t * a + d]) * p[t * a + d];
        }
    }
    auto mean = torch::empty({a}, torch::kFloat32), stdev = torch::empty({a}, torch::kFloat32);
    for (int d = 0; d < a; ++d) {
      const double m = s[static_cast<std::size_t>(d)] / std::max(n, 1.0);
      mean[d] = m;
      // Floored: a dimension the experts never move (a rotation) must not be blown up into noise.
      stdev[d] = std::max(
          0.05, std::sqrt(std::max(0.0, s2[static_cast<std::size_t>(d)] / std::max(n, 1.0) - m * m)));
    }
    action_norm = {mean, stdev};
    torch::NoGradGuard no_grad;
    auto src = net->named_parameters();
    for (auto& p : ema->named_parameters()) p.value().copy_(src[p.key()]);
  }
  pretrained = Checkpoint();
  net->to(device);
  ema->to(device);
  for (auto& p : ema->parameters()) p.set_requires_grad(false);
  const StateNormalizer state_dev = state_norm.to(device);
  const ActionNormalizer action_dev = action_norm.to(device);
  AdamW optimizer(*net, {.weight_decay = job.weight_decay});
  if (resuming) optimizer.load(start, "optim/");
  start = Checkpoint();
  report.parameters = parameter_count(*net);
  report.start_step = step0;
  report.steps = step0;

  auto save = [&](std::int64_t step, double seconds) {
    Checkpoint ck;
    ck.config = config.trunk;
    env::List c;
    for (const auto& p : curve) c.emplace_back(point_dict(p));
    ck.meta = {{"kind", std::string(kA2WorldPolicyKind)},
               {"policy_config", config.to_dict()},
               {"preset", report.config},
               {"from", job.from},
               {"fresh", to_list(report.fresh)},
               {"step", step},
               {"seconds", seconds},
               {"seed", static_cast<std::int64_t>(job.seed)},
               {"data", to_list(job.data)},
               {"data_tasks", to_list(index->tasks())},
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
    add_normalizer(ck, state_norm);
    action_norm.add_to(ck);
    write_checkpoint(job.out, ck);
  };

  // 4. The loop.
  WindowLoader loader(index, config.trunk, job.batch_size, job.seed, /*partial_chunks=*/true);
  loader.start(step0, std::max(1, job.loader_workers));
  const std::int64_t warmup =
      job.warmup_steps >= 0 ? job.warmup_steps : std::min<std::int64_t>(200, job.steps / 10);
  env::Progress progress("train a2w-policy", job.steps, job.progress ? stderr : nullptr);
  progress.advance(step0);
  const auto t0 = Clock::now();
  auto interval_start = t0;
  double sum_loss = 0, sum_action = 0, sum_frame = 0;
  std::int64_t interval_steps = 0, done_here = 0;
  net->train();
  std::int64_t step = step0;
  auto out_of_time = [&] {
    return (job.stop_at_step > 0 && step >= job.stop_at_step) ||
           (job.max_minutes > 0 && seconds_since(t0) >= 60.0 * job.max_minutes);
  };
  for (; step < job.steps && !out_of_time(); ++step) {
    const double lr = warmup_cosine_lr(job.lr, job.min_lr_ratio, warmup, job.steps, step);
    const TrainBatch batch = loader.next().to(device);
    std::vector<std::int64_t> ids;
    for (std::size_t e : batch.episode) {
      const auto row = tokenizer.encode(index->episodes()[e].instruction, config.max_words);
      ids.insert(ids.end(), row.begin(), row.end());
    }
    const auto words = torch::tensor(ids, torch::kLong).view({batch.size(), config.max_words}).to(device);
    // The step's noise from (seed, step) alone.
    auto gen = at::detail::createCPUGenerator(env::splitmix64(job.seed ^ 0xA2B0'11C1'0000'0001ull) ^
                                              static_cast<std::uint64_t>(step));
    optimizer.zero_grad();
    Loss loss;
    {
      PrecisionGuard guard(precision, device);
      loss = policy_loss(net, batch, words, state_dev, action_dev, gen);
    }
    const double value = loss.total.item<double>();
    if (!std::isfinite(value))
      throw Error("train_a2world_policy: the loss became " + std::to_string(value) + " at step " +
                  std::to_string(step) + " (try a lower lr)");
    loss.total.backward();
    if (job.grad_clip > 0) torch::nn::utils::clip_grad_norm_(net->parameters(), job.grad_clip);
    optimizer.step(lr);
    ema_update(*ema, *net, ema_decay_at(job.ema_decay, step));

    sum_loss += value;
    sum_action += loss.action;
    sum_frame += loss.frame;
    ++interval_steps;
    ++done_here;
    const std::int64_t done = step + 1;
    const bool stopping = done == job.steps || (job.stop_at_step > 0 && done >= job.stop_at_step) ||
                          (job.max_minutes > 0 && seconds_since(t0) >= 60.0 * job.max_minutes);
    if (done % std::max<std::int64_t>(1, job.log_every) == 0 || stopping) {
      const double n = static_cast<double>(interval_steps);
      curve.push_back(
          {done, seconds_before + seconds_since(t0), sum_loss / n, sum_action / n, sum_frame / n, lr});
      const double rate = n * job.batch_size / std::max(seconds_since(interval_start), 1e-9);
      progress.set_postfix("loss " + fmt("%.4f", curve.back().loss) + " (actions " +
                           fmt("%.4f", curve.back().action_loss) + ")  " + fmt("%.1f", rate) + " samples/s");
      sum_loss = sum_action = sum_frame = 0;
      interval_steps = 0;
      interval_start = Clock::now();
    }
    progress.advance();
    if (job.checkpoint_every > 0 && done % job.checkpoint_every == 0 && !stopping)
      save(done, seconds_before + seconds_since(t0));
  }
  loader.stop();
  report.seconds = seconds_since(t0);
  report.samples_per_second =
      static_cast<double>(done_here * job.batch_size) / std::max(report.seconds, 1e-9);
  report.steps = step;
  report.finished = step >= job.steps;
  save(step, seconds_before + report.seconds);
  progress.finish();
  report.curve = curve;
  if (!curve.empty()) {
    report.loss = curve.back().loss;
    report.action_loss = curve.back().action_loss;
    report.frame_loss = curve.back().frame_loss;
  }
  return report;
}

}  // namespace a2w::wm
