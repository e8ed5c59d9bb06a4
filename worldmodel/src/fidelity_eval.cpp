#include "a2w/wm/fidelity_eval.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <sstream>

#include "a2w/env/error.h"
#include "a2w/env/progress.h"
#include "a2w/env/registry.h"
#include "a2w/env/rng.h"
#include "a2w/env/state.h"
#include "a2w/env/video_writer.h"
#include "a2w/wm/episode_index.h"
#include "a2w/wm/image_metrics.h"
#include "printf_format.h"

namespace a2w::wm {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
enum Kind { kModel = 0, kCopyLast = 1, kErase = 2 };

torch::Tensor to_tensor(const env::Array& a) {
  std::vector<std::int64_t> shape(a.shape().begin(), a.shape().end());
  const auto dtype = a.dtype() == env::DType::kUInt8 ? torch::kUInt8 : torch::kFloat32;
  if (a.dtype() != env::DType::kUInt8 && a.dtype() != env::DType::kFloat32)
    throw InvalidArgument("wm eval: expected uint8 frames or float32 arrays in the dataset");
  return torch::from_blob(const_cast<void*>(a.raw()), shape, dtype).clone();
}

env::Array to_array(const torch::Tensor& t) {
  const auto c = t.contiguous().to(torch::kUInt8);
  env::Array a(env::DType::kUInt8, env::Shape(c.sizes().begin(), c.sizes().end()));
  std::memcpy(a.raw(), c.data_ptr(), a.nbytes());
  return a;
}

// Sums for one (group, horizon): pooled squared errors, SSIM sums, position errors.
struct Acc {
  std::int64_t episodes = 0;
  double sse[3] = {0, 0, 0}, sse_moving[3] = {0, 0, 0}, ssim[3] = {0, 0, 0};
  double count = 0, count_moving = 0;
  double ee = 0, ee_copy = 0, n_ee = 0, obj = 0, obj_copy = 0, n_obj = 0;
};

struct Agree {
  std::int64_t counts[2][2] = {{0, 0}, {0, 0}};
  std::int64_t head_agree = 0, n = 0;
  void add(bool physics, bool imagined, bool head) {
    ++counts[physics][imagined];
    head_agree += head == physics;
    ++n;
  }
  SuccessAgreement result() const {
    SuccessAgreement s;
    s.episodes = n;
    std::memcpy(s.counts, counts, sizeof counts);
    s.agreement = n ? static_cast<double>(counts[0][0] + counts[1][1]) / static_cast<double>(n) : kNaN;
    s.head_agreement = n ? static_cast<double>(head_agree) / static_cast<double>(n) : kNaN;
    return s;
  }
};

// One held-out episode, loaded.
struct Held {
  std::size_t index = 0;   // into EpisodeIndex::episodes()
  std::int64_t run_k = 0;  // position in this run
  std::int64_t length = 0;
  torch::Tensor frames;  // uint8 [T, V, S, S, 3]
  torch::Tensor erase;   // uint8 [T, V, S, S, 3] (undefined without the erase baseline)
  std::vector<float> init_state;
  std::unique_ptr<env::StateJudge> judge;
  bool physics_success = false, imagined_success = false, head_success = false;
};

double dist_cm(const float* a, const float* b, int at) {
  double d2 = 0;
  for (int j = at; j < at + 3; ++j) d2 += (a[j] - b[j]) * (a[j] - b[j]);
  return 100.0 * std::sqrt(d2);
}

env::Dict agreement_dict(const SuccessAgreement& s) {
  return {{"episodes", s.episodes},
          {"agreement", s.agreement},
          {"head_agreement", s.head_agreement},
          {"physics_fail_imagined_fail", s.counts[0][0]},
          {"physics_fail_imagined_success", s.counts[0][1]},
          {"physics_success_imagined_fail", s.counts[1][0]},
          {"physics_success_imagined_success", s.counts[1][1]}};
}

env::Dict scores_dict(const FrameScores& f) {
  return {{"psnr", f.psnr}, {"ssim", f.ssim}, {"psnr_moving", f.psnr_moving}};
}

}  // namespace

env::Dict FidelityReport::to_dict() const {
  env::List gs;
  for (const auto& g : groups) {
    env::List hs;
    for (const auto& h : g.horizons)
      hs.push_back(env::Dict{{"horizon", h.horizon},
                             {"episodes", h.episodes},
                             {"moving_fraction", h.moving_fraction},
                             {"model", scores_dict(h.model)},
                             {"copy_last", scores_dict(h.copy_last)},
                             {"erase", scores_dict(h.erase)},
                             {"ee_error_cm", h.ee_error_cm},
                             {"ee_error_cm_copy_last", h.ee_error_cm_copy_last},
                             {"object_error_cm", h.object_error_cm},
                             {"object_error_cm_copy_last", h.object_error_cm_copy_last}});
    gs.push_back(env::Dict{{"name", g.name},
                           {"episodes", g.episodes},
                           {"horizons", hs},
                           {"success", agreement_dict(g.success)}});
  }
  env::Dict per;
  for (const auto& [task, s] : per_task) per[task] = agreement_dict(s);
  env::List ts(tasks.begin(), tasks.end());
  return {{"model", model},
          {"tasks", ts},
          {"episodes", episodes},
          {"imagined_steps", imagined_steps},
          {"replay_mismatch_steps", replay_mismatch_steps},
          {"seconds", seconds},
          {"groups", gs},
          {"per_task", per}};
}

std::string FidelityReport::to_text() const {
  std::ostringstream s;
  s << "A2World fidelity: " << model << "\n  " << episodes << " held-out episodes of " << tasks.size()
    << " tasks, open-loop from the first frames with the recorded actions; " << imagined_steps
    << " imagined steps in " << fmt("%.0f", seconds) << " s";
  if (replay_mismatch_steps > 0)
    s << "\n  WARNING: the physics replay left the recorded states on " << replay_mismatch_steps << " steps";
  s << "\n";
  for (const auto& g : groups) {
    s << "\n" << g.name << " (" << g.episodes << " episodes)\n";
    if (g.episodes == 0) continue;
    s << "  h   eps | PSNR  model  copy  erase | moving PSNR model copy erase | SSIM model copy erase"
         " | EE cm model copy | obj cm model copy\n";
    for (const auto& h : g.horizons) {
      s << "  " << fmt("%-3.0f", h.horizon) << fmt("%4.0f", static_cast<double>(h.episodes)) << " |      "
        << fmt("%5.1f", h.model.psnr) << " " << fmt("%5.1f", h.copy_last.psnr) << " "
        << fmt("%5.1f", h.erase.psnr) << " |             " << fmt("%5.1f", h.model.psnr_moving) << " "
        << fmt("%4.1f", h.copy_last.psnr_moving) << " " << fmt("%5.1f", h.erase.psnr_moving) << " |      "
        << fmt("%5.3f", h.model.ssim) << " " << fmt("%4.3f", h.copy_last.ssim) << " "
        << fmt("%5.3f", h.erase.ssim) << " |      " << fmt("%5.1f", h.ee_error_cm) << " "
        << fmt("%4.1f", h.ee_error_cm_copy_last) << " |       " << fmt("%5.1f", h.object_error_cm) << " "
        << fmt("%4.1f", h.object_error_cm_copy_last) << "\n";
    }
    const auto& a = g.success;
    s << "  success: imagined (task predicate) agrees with MuJoCo on " << fmt("%.1f", 100 * a.agreement)
      << " % (success head: " << fmt("%.1f", 100 * a.head_agreement)
      << " %); physics fail/success x imagined "
      << "fail/success = [" << a.counts[0][0] << " " << a.counts[0][1] << "; " << a.counts[1][0] << " "
      << a.counts[1][1] << "]\n";
  }
  s << "\nper task, success agreement:";
  for (const auto& [task, a] : per_task)
    s << "\n  " << task << ": " << fmt("%.1f", 100 * a.agreement) << " % of " << a.episodes;
  s << "\n";
  return s.str();
}

FidelityReport evaluate_fidelity(WorldModel& model, const FidelityOptions& o, std::string model_name) {
  const auto t_start = std::chrono::steady_clock::now();
  const WorldModelConfig& c = model.config();
  const int ah = c.action_horizon;
  std::vector<int> horizons = o.horizons;
  std::sort(horizons.begin(), horizons.end());
  horizons.erase(std::unique(horizons.begin(), horizons.end()), horizons.end());
  if (horizons.empty()) throw InvalidArgument("wm eval: expected at least one horizon");
  for (int h : horizons)
    if (h <= 0 || h % ah != 0)
      throw InvalidArgument(
          "wm eval: expected horizons that are positive multiples of the model's action_horizon " +
          std::to_string(ah) + ", got " + std::to_string(h));
  if (o.batch_size < 1) throw InvalidArgument("wm eval: expected batch_size >= 1");

  EpisodeIndexOptions io;
  io.paths = o.data;
  io.tasks = o.tasks;
  io.view_keys = c.view_keys;
  io.action_dim = c.action_dim;
  io.state_dim = c.state_dim;
  io.action_horizon = ah;
  EpisodeIndex index(io);
  if (index.image_size() != c.image_size)
    throw InvalidArgument("wm eval: the data's frames are " + std::to_string(index.image_size()) + "x" +
                          std::to_string(index.image_size()) + " but the model imagines " +
                          std::to_string(c.image_size) + "x" + std::to_string(c.image_size) +
                          "; collect held-out episodes with --image-size " + std::to_string(c.image_size));

  // The episodes of the run, task by task in index order.
  std::map<std::string, std::vector<std::size_t>> by_task;
  for (std::size_t i = 0; i < index.episodes().size(); ++i) {
    auto& v = by_task[index.episodes()[i].task];
    if (o.episodes_per_task <= 0 || static_cast<std::int64_t>(v.size()) < o.episodes_per_task) v.push_back(i);
  }
  std::int64_t total = 0;
  for (const auto& [task, v] : by_task) total += static_cast<std::int64_t>(v.size());

  FidelityReport report;
  report.model = std::move(model_name);
  for (const auto& [task, v] : by_task) report.tasks.push_back(task);
  report.episodes = total;

  const std::int64_t s = c.image_size, k = c.context_frames;
  const int strip_h = std::max(4, o.strip_horizon);
  std::vector<int> strip_steps;
  for (int q = 0; q <= 4; ++q) strip_steps.push_back((strip_h * q / 4) / ah * ah);
  std::optional<std::int64_t> strip_k;  // run position of the strip's episode
  std::vector<torch::Tensor> strip_true, strip_imagined;

  std::vector<std::vector<Acc>> acc(3, std::vector<Acc>(horizons.size()));
  std::vector<Agree> agree(3);
  std::unique_ptr<env::VideoWriter> video;
  if (!o.video.empty() && o.video_episodes > 0)
    video =
        std::make_unique<env::VideoWriter>(o.video, static_cast<int>(4 * s), static_cast<int>(4 * s), 20.0);
  env::Progress progress("wm eval", total, o.progress ? stderr : nullptr);
  torch::NoGradGuard no_grad;

  std::int64_t run_k = 0;
  for (const auto& [task, list] : by_task) {
    const auto row_it = std::find(c.tasks.begin(), c.tasks.end(), task);
    const std::int64_t task_row = row_it == c.tasks.end() ? -1 : row_it - c.tasks.begin();
    env::Dict phys_options{{"image_size", static_cast<std::int64_t>(s)}};
    if (o.erase_baseline)
      phys_options["erase"] = true;
    else
      phys_options["render"] = false;
    std::vector<env::EnvPtr> physics;
    Agree task_agree;

    for (std::size_t b0 = 0; b0 < list.size(); b0 += static_cast<std::size_t>(o.batch_size)) {
      const std::size_t nb = std::min<std::size_t>(static_cast<std::size_t>(o.batch_size), list.size() - b0);
      while (physics.size() < nb) physics.push_back(a2w::make(task, phys_options));
      std::vector<Held> held(nb);
      std::int64_t t_max = 0;

      // 1. Load the episodes; reset physics with each episode's seed (initial state, judge) and, for the
      // erase
      //    baseline, replay the recorded actions with the robot and objects hidden.
      for (std::size_t b = 0; b < nb; ++b) {
        Held& h = held[b];
        h.index = list[b0 + b];
        h.run_k = run_k + static_cast<std::int64_t>(b);
        const Episode& ep = index.episodes()[h.index];
        const auto& reader = index.reader(ep.file);
        h.length = ep.length;
        t_max = std::max(t_max, ep.length);
        std::vector<torch::Tensor> views;
        for (const auto& key : c.view_keys) views.push_back(to_tensor(reader.read(ep.demo, "obs/" + key)));
        h.frames = torch::stack(views, 1);  // [T, V, S, S, 3]
        for (std::int64_t t = 0; t < ep.length; ++t) h.physics_success |= ep.success.data<float>()[t] > 0.5f;
        if (!strip_k && ep.length > strip_h) {
          strip_k = h.run_k;
          strip_true.push_back(h.frames[0][0]);  // step 0: the start frame, the same in both rows
          strip_imagined.push_back(h.frames[0][0]);
        }

        env::Env& phys = *physics[b];
        const std::uint64_t seed = reader.attr_uint(ep.demo, "seed");
        auto r = phys.reset(seed);
        const auto& init = env::get(r.info, "state/vector").as_array();
        h.init_state.assign(init.data<float>(), init.data<float>() + c.state_dim);
        auto* judged = dynamic_cast<env::JudgedEnv*>(&phys.unwrapped());
        if (!judged) throw InvalidArgument("wm eval: task " + task + " cannot judge predicted states");
        h.judge = judged->make_state_judge();
        if (o.erase_baseline) {
          std::vector<torch::Tensor> erase{h.frames[0].clone()};
          auto frame_of = [&](const env::Dict& obs) {
            std::vector<torch::Tensor> vs;
            for (const auto& key : c.view_keys) vs.push_back(to_tensor(env::get(obs, key).as_array()));
            return torch::stack(vs, 0);
          };
          erase[0] = frame_of(r.obs);
          for (std::int64_t t = 0; t + 1 < ep.length; ++t) {
            env::Array action(env::DType::kFloat32, {c.action_dim});
            std::memcpy(action.raw(), ep.actions.data<float>() + t * c.action_dim, action.nbytes());
            auto st = phys.step(action);
            erase.push_back(frame_of(st.obs));
            const float* truth = ep.state.data<float>() + t * c.state_dim;
            const float* mask = ep.state_mask.data<float>() + t * c.state_dim;
            const auto& got = env::get(st.info, "state/vector").as_array();
            bool same = true;
            for (int j = 0; j < c.state_dim; ++j)
              if (mask[j] > 0.5f && std::abs(got.data<float>()[j] - truth[j]) > 1e-4f) same = false;
            report.replay_mismatch_steps += !same;
            if (st.terminated || st.truncated) break;
          }
          while (static_cast<std::int64_t>(erase.size()) < ep.length) erase.push_back(erase.back());
          h.erase = torch::stack(erase, 0);
        }
      }

      // 2. Imagine every episode of the batch together, from its first frames, with its recorded actions.
      WorldModelInput in;
      in.anchor = torch::stack(
          [&] {
            std::vector<torch::Tensor> a;
            for (const auto& h : held) a.push_back(h.frames[0]);
            return a;
          }(),
          0);                                                                            // [B, V, S, S, 3]
      in.context = in.anchor.unsqueeze(2).expand({-1, -1, k, -1, -1, -1}).contiguous();  // [B, V, K, S, S, 3]
      in.task = torch::full({static_cast<std::int64_t>(nb)}, task_row, torch::kLong);
      // The state starts at the reset's and then follows the model's own predictions, as in A2World-sim.
      in.state = torch::empty({static_cast<std::int64_t>(nb), c.state_dim}, torch::kFloat32);
      in.state_mask = torch::empty({static_cast<std::int64_t>(nb), c.state_dim}, torch::kFloat32);
      for (std::size_t b = 0; b < nb; ++b) {
        const Episode& ep = index.episodes()[held[b].index];
        std::memcpy(in.state[static_cast<std::int64_t>(b)].data_ptr<float>(), held[b].init_state.data(),
                    sizeof(float) * static_cast<std::size_t>(c.state_dim));
        std::memcpy(in.state_mask[static_cast<std::int64_t>(b)].data_ptr<float>(),
                    ep.state_mask.data<float>(), sizeof(float) * static_cast<std::size_t>(c.state_dim));
      }
      for (const auto& h : held)
        in.seeds.push_back(env::episode_seed(o.seed, static_cast<std::uint64_t>(h.run_k), 0));
      std::vector<std::vector<torch::Tensor>> video_frames(nb);
      for (std::int64_t n = ah; n <= t_max; n += ah) {
        in.actions = torch::zeros({static_cast<std::int64_t>(nb), ah, c.action_dim}, torch::kFloat32);
        for (std::size_t b = 0; b < nb; ++b) {
          const Episode& ep = index.episodes()[held[b].index];
          for (std::int64_t j = 0; j < ah && n - ah + j < ep.length; ++j)
            std::memcpy(in.actions[static_cast<std::int64_t>(b)][j].data_ptr<float>(),
                        ep.actions.data<float>() + (n - ah + j) * c.action_dim, sizeof(float) * c.action_dim);
        }
        const auto out = model.predict(in);
        const auto frames = out.frames.to(torch::kCPU).contiguous();
        const auto state = out.state.to(torch::kCPU).to(torch::kFloat32).contiguous();
        const auto success = out.success.to(torch::kCPU).to(torch::kFloat32).contiguous();
        for (std::size_t b = 0; b < nb; ++b) {
          Held& h = held[b];
          if (n > h.length) continue;
          const Episode& ep = index.episodes()[h.index];
          const auto bi = static_cast<std::int64_t>(b);
          const float* guess = state[bi].data_ptr<float>();
          h.imagined_success |= h.judge->judge(std::span<const float>(guess, c.state_dim)).success;
          h.head_success |= success[bi].item<float>() > 0.5f;
          ++report.imagined_steps;
          if (video && h.run_k < o.video_episodes && n < h.length)
            video_frames[b].push_back(
                torch::cat({torch::cat(h.frames[n].unbind(0), 1), torch::cat(frames[bi].unbind(0), 1)}, 0));
          if (strip_k && h.run_k == *strip_k)
            if (n > 0 && std::find(strip_steps.begin(), strip_steps.end(), n) != strip_steps.end()) {
              strip_true.push_back(h.frames[n][0]);
              strip_imagined.push_back(frames[bi][0].clone());
            }
          const auto hit = std::find(horizons.begin(), horizons.end(), static_cast<int>(n));
          if (hit == horizons.end() || n >= h.length) continue;  // frame n is stored for n <= T - 1
          const auto truth = h.frames[n].to(torch::kFloat32), first = h.frames[0].to(torch::kFloat32);
          const torch::Tensor guesses[3] = {
              frames[bi].to(torch::kFloat32), first,
              o.erase_baseline ? h.erase[n].to(torch::kFloat32) : torch::Tensor()};
          const auto moving =
              (truth - first).abs().amax(-1, true).gt(c.moving_pixel_threshold).expand_as(truth);
          const double moving_count = moving.sum().item<double>();
          const float* label = ep.state.data<float>() + (n - 1) * c.state_dim;
          const float* mask = ep.state_mask.data<float>() + (n - 1) * c.state_dim;
          for (int g : {0, h.physics_success ? 1 : 2}) {
            Acc& a = acc[static_cast<std::size_t>(g)][static_cast<std::size_t>(hit - horizons.begin())];
            ++a.episodes;
            a.count += static_cast<double>(truth.numel());
            a.count_moving += moving_count;
            for (int kind = 0; kind < 3; ++kind) {
              if (!guesses[kind].defined()) continue;
              const auto e = (guesses[kind] - truth).square();
              a.sse[kind] += e.sum().item<double>();
              a.sse_moving[kind] += e.masked_select(moving).sum().item<double>();
              a.ssim[kind] += ssim(guesses[kind], truth).mean().item<double>();
            }
            if (mask[env::kStateEePos] > 0.5f) {
              a.ee += dist_cm(guess, label, env::kStateEePos);
              a.ee_copy += dist_cm(h.init_state.data(), label, env::kStateEePos);
              a.n_ee += 1;
            }
            if (mask[env::kStateObjectsAt] > 0.5f) {
              a.obj += dist_cm(guess, label, env::kStateObjectsAt);
              a.obj_copy += dist_cm(h.init_state.data(), label, env::kStateObjectsAt);
              a.n_obj += 1;
            }
          }
        }
        // The imagined frames join the context (the oldest leaves); the imagined state is the next input.
        in.context = torch::cat({in.context.narrow(2, 1, k - 1), frames.unsqueeze(2)}, 2).contiguous();
        in.state = state.clone();
      }

      for (std::size_t b = 0; b < nb; ++b) {
        const Held& h = held[b];
        for (int g : {0, h.physics_success ? 1 : 2})
          agree[static_cast<std::size_t>(g)].add(h.physics_success, h.imagined_success, h.head_success);
        task_agree.add(h.physics_success, h.imagined_success, h.head_success);
        if (video && h.run_k < o.video_episodes) {
          const auto first =
              torch::cat({torch::cat(h.frames[0].unbind(0), 1), torch::cat(h.frames[0].unbind(0), 1)}, 0);
          video_frames[b].insert(video_frames[b].begin(), first);
          for (const auto& f : video_frames[b])  // 2x nearest-neighbour: 64-pixel views are small on a screen
            video->write(to_array(f.repeat_interleave(2, 0).repeat_interleave(2, 1)));
        }
      }
      run_k += static_cast<std::int64_t>(nb);
      progress.advance(static_cast<std::int64_t>(nb));
    }
    report.per_task.emplace_back(task, task_agree.result());
  }
  progress.finish();
  if (video) video->close();

  const char* names[3] = {"all", "successes", "failures"};
  for (int g = 0; g < 3; ++g) {
    FidelityGroup group;
    group.name = names[g];
    group.success = agree[static_cast<std::size_t>(g)].result();
    group.episodes = group.success.episodes;
    for (std::size_t hi = 0; hi < horizons.size(); ++hi) {
      const Acc& a = acc[static_cast<std::size_t>(g)][hi];
      HorizonScores hs;
      hs.horizon = horizons[hi];
      hs.episodes = a.episodes;
      hs.moving_fraction = a.count > 0 ? a.count_moving / a.count : kNaN;
      FrameScores* out[3] = {&hs.model, &hs.copy_last, &hs.erase};
      for (int kind = 0; kind < 3; ++kind) {
        const bool have = a.episodes > 0 && (kind != kErase || o.erase_baseline);
        out[kind]->psnr = have ? psnr_from_sse(a.sse[kind], a.count) : kNaN;
        out[kind]->psnr_moving = have ? psnr_from_sse(a.sse_moving[kind], a.count_moving) : kNaN;
        out[kind]->ssim = have ? a.ssim[kind] / static_cast<double>(a.episodes) : kNaN;
      }
      hs.ee_error_cm = a.n_ee ? a.ee / a.n_ee : kNaN;
      hs.ee_error_cm_copy_last = a.n_ee ? a.ee_copy / a.n_ee : kNaN;
      hs.object_error_cm = a.n_obj ? a.obj / a.n_obj : kNaN;
      hs.object_error_cm_copy_last = a.n_obj ? a.obj_copy / a.n_obj : kNaN;
      group.horizons.push_back(hs);
    }
    report.groups.push_back(std::move(group));
  }
  if (!strip_true.empty())
    report.strip = to_array(torch::cat({torch::cat(strip_true, 1), torch::cat(strip_imagined, 1)}, 0));
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  return report;
}

}  // namespace a2w::wm
