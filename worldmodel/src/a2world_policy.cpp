#include "a2w/wm/a2world_policy.h"

#include <cmath>
#include <cstring>
#include <filesystem>

#include "a2w/env/error.h"
#include "a2w/env/rng.h"
#include "a2w/env/state.h"
#include "a2w/wm/bc_policy.h"
#include "a2w/wm/device.h"
#include "a2w/wm/edm.h"
#include "a2w/wm/frames.h"
#include "printf_format.h"

namespace a2w::wm {

namespace {

constexpr int kSigmaFrequencies = 64;

void need(bool ok, const std::string& what) {
  if (!ok) throw InvalidArgument("A2WorldPolicyConfig: " + what);
}

// f32 [B, n] of an observation key, checked.
torch::Tensor proprio_key(const env::Dict& obs, const char* key, std::int64_t n) {
  const auto it = obs.find(key);
  if (it == obs.end() || !it->second.is_array())
    throw InvalidArgument(std::string("A2WorldPolicy: expected observation '") + key + "' as float32 [B, " +
                          std::to_string(n) + "], got " +
                          (it == obs.end() ? std::string("none") : env::describe(it->second)));
  const env::Array& a = it->second.as_array();
  if (a.dtype() != env::DType::kFloat32 || a.ndim() != 2 || a.dim(1) != n)
    throw InvalidArgument(std::string("A2WorldPolicy: expected observation '") + key + "' as float32 [B, " +
                          std::to_string(n) + "], got " + env::describe(a));
  return torch::from_blob(const_cast<void*>(a.raw()), {a.dim(0), n}, torch::kFloat32).clone();
}

}  // namespace

// ---- Config ----

A2WorldPolicyConfig A2WorldPolicyConfig::preset(const std::string& name) {
  A2WorldPolicyConfig c;
  if (name == "tiny") {
    c.trunk = WorldModelConfig::preset("tiny");
    c.trunk.action_horizon = 4;
    c.execute = 2;
    c.max_words = 8;
    c.action_steps = 2;
  } else if (name == "cpu") {
    c.trunk = WorldModelConfig::preset("cpu");
    c.trunk.action_horizon = 8;
    c.execute = 4;
  } else {
    throw InvalidArgument("A2WorldPolicyConfig::preset: unknown preset '" + name + "'; expected tiny or cpu");
  }
  c.trunk.tasks.clear();
  c.trunk.state_input = true;
  return c;
}

void A2WorldPolicyConfig::validate() const {
  trunk.validate();
  need(trunk.state_input, "expected a trunk with state_input (the proprioception goes in through it)");
  need(execute >= 1 && execute <= chunk(),
       "expected execute in [1, chunk = " + std::to_string(chunk()) + "], got " + std::to_string(execute));
  need(max_words >= 1 && max_words <= 256,
       "expected max_words in [1, 256], got " + std::to_string(max_words));
  need(action_steps >= 1 && action_steps <= 100,
       "expected action_steps in [1, 100], got " + std::to_string(action_steps));
  need(action_sigma_data > 0 && action_sigma_max > trunk.sigma_min,
       "expected action_sigma_data > 0 and action_sigma_max > sigma_min");
  need(policy_mode_prob >= 0 && policy_mode_prob <= 1, "expected policy_mode_prob in [0, 1]");
  need(frame_loss_weight >= 0, "expected frame_loss_weight >= 0");
}

env::Dict A2WorldPolicyConfig::to_dict() const {
  env::List words;
  for (const auto& w : vocabulary) words.emplace_back(w);
  return {{"execute", static_cast<std::int64_t>(execute)},
          {"vocabulary", words},
          {"max_words", static_cast<std::int64_t>(max_words)},
          {"action_steps", static_cast<std::int64_t>(action_steps)},
          {"action_sigma_data", action_sigma_data},
          {"action_sigma_max", action_sigma_max},
          {"action_p_mean", action_p_mean},
          {"action_p_std", action_p_std},
          {"policy_mode_prob", policy_mode_prob},
          {"frame_loss_weight", frame_loss_weight}};
}

A2WorldPolicyConfig A2WorldPolicyConfig::from_dict(const env::Dict& d, const WorldModelConfig& trunk) {
  static const char* const kKeys[] = {
      "execute",          "vocabulary",    "max_words",    "action_steps",     "action_sigma_data",
      "action_sigma_max", "action_p_mean", "action_p_std", "policy_mode_prob", "frame_loss_weight"};
  for (const auto& [key, value] : d) {
    bool known = false;
    for (const char* k : kKeys) known = known || key == k;
    if (!known) throw InvalidArgument("A2WorldPolicyConfig: unknown field '" + key + "'");
  }
  A2WorldPolicyConfig c;
  c.trunk = trunk;
  c.execute = static_cast<int>(env::get_or(d, "execute", std::int64_t{c.execute}));
  c.max_words = static_cast<int>(env::get_or(d, "max_words", std::int64_t{c.max_words}));
  c.action_steps = static_cast<int>(env::get_or(d, "action_steps", std::int64_t{c.action_steps}));
  c.action_sigma_data = env::get_or(d, "action_sigma_data", c.action_sigma_data);
  c.action_sigma_max = env::get_or(d, "action_sigma_max", c.action_sigma_max);
  c.action_p_mean = env::get_or(d, "action_p_mean", c.action_p_mean);
  c.action_p_std = env::get_or(d, "action_p_std", c.action_p_std);
  c.policy_mode_prob = env::get_or(d, "policy_mode_prob", c.policy_mode_prob);
  c.frame_loss_weight = env::get_or(d, "frame_loss_weight", c.frame_loss_weight);
  if (auto it = d.find("vocabulary"); it != d.end()) {
    if (!it->second.is_list())
      throw InvalidArgument("A2WorldPolicyConfig: expected 'vocabulary' as a list of words");
    for (const auto& w : it->second.as_list()) {
      if (!w.is_string())
        throw InvalidArgument("A2WorldPolicyConfig: expected 'vocabulary' as a list of words");
      c.vocabulary.push_back(w.as_string());
    }
  }
  c.validate();
  return c;
}

torch::Tensor proprio_state_mask(int state_dim) {
  auto m = torch::zeros({state_dim}, torch::kFloat32);
  m.narrow(0, 0, std::min(state_dim, env::kStateObjectsAt)).fill_(1.0f);
  return m;
}

// ---- Network ----

A2WorldPolicyNetImpl::A2WorldPolicyNetImpl(const A2WorldPolicyConfig& config) : config_(config) {
  config_.validate();
  const int w = config_.trunk.width, a = config_.trunk.action_dim, h = config_.chunk();
  trunk_ = register_module("trunk", A2WorldNet(config_.trunk));
  action_in_ = register_module("action_in", torch::nn::Linear(a, w));
  action_out_ = register_module("action_out", torch::nn::Linear(w, a));
  action_position_ = register_parameter("action_position", torch::randn({h, w}) * 0.02);
  frequencies_ = register_buffer(
      "frequencies", torch::exp(-std::log(10000.0) * torch::arange(0, kSigmaFrequencies, torch::kFloat32) /
                                kSigmaFrequencies));
  sigma_fc1_ = register_module("sigma_fc1", torch::nn::Linear(2 * kSigmaFrequencies, w));
  sigma_fc2_ = register_module("sigma_fc2", torch::nn::Linear(w, w));
  const auto rows = static_cast<std::int64_t>(config_.vocabulary.size()) + 2;
  words_ =
      register_module("words", torch::nn::Embedding(torch::nn::EmbeddingOptions(rows, w).padding_idx(0)));
  words_fc_ = register_module("words_fc", torch::nn::Linear(w, w));
  // Zero-initialised outputs (as adaLN-Zero): the untrained policy adds nothing to the trunk's conditioning
  // and predicts c_skip times its input.
  torch::NoGradGuard no_grad;
  for (auto* l : {&action_out_, &words_fc_}) {
    (*l)->weight.zero_();
    (*l)->bias.zero_();
  }
}

torch::Tensor A2WorldPolicyNetImpl::embed_context(const torch::Tensor& context, const torch::Tensor& anchor) {
  return trunk_->embed_context(context, anchor);
}

Condition A2WorldPolicyNetImpl::embed_condition(const torch::Tensor& context_sigma,
                                                const torch::Tensor& state_z,
                                                const torch::Tensor& state_mask) {
  const auto b = context_sigma.size(0);
  const auto opts = context_sigma.options();
  const auto zeros = torch::zeros({b, config_.chunk(), config_.trunk.action_dim}, opts);
  const auto no_task = torch::full({b}, -1, opts.dtype(torch::kLong));
  return trunk_->embed_condition(context_sigma, zeros, no_task, state_z, state_mask);
}

torch::Tensor A2WorldPolicyNetImpl::embed_instruction(const torch::Tensor& words) {
  const auto present = words.ne(InstructionTokenizer::kPad).to(torch::kFloat32).unsqueeze(2);  // [B, W, 1]
  const auto mean = (words_(words) * present).sum(1) / present.sum(1).clamp_min(1.0);
  return words_fc_(mean);
}

std::pair<torch::Tensor, torch::Tensor> A2WorldPolicyNetImpl::forward(
    const torch::Tensor& frames_in, const torch::Tensor& c_noise_frames, const torch::Tensor& context_tokens,
    const Condition& condition, const torch::Tensor& instruction, const torch::Tensor& actions_in,
    const torch::Tensor& c_noise_actions) {
  const auto arg = c_noise_actions.to(torch::kFloat32).unsqueeze(1) * frequencies_.unsqueeze(0);
  const auto sigma_embedding = sigma_fc2_(torch::silu(sigma_fc1_(torch::cat({arg.cos(), arg.sin()}, 1))));
  const auto tokens = action_in_(actions_in) + action_position_.unsqueeze(0);
  auto [f, features] = trunk_->forward_joint(frames_in, context_tokens, condition, c_noise_frames, tokens,
                                             sigma_embedding + instruction);
  return {f, action_out_(features).to(torch::kFloat32)};
}

// ---- Statistics, initialisation ----

void ActionNormalizer::add_to(Checkpoint& checkpoint) const {
  checkpoint.tensors["norm/action_mean"] = mean.detach().cpu().clone();
  checkpoint.tensors["norm/action_std"] = std.detach().cpu().clone();
}

ActionNormalizer ActionNormalizer::from(const Checkpoint& checkpoint) {
  return {checkpoint.at("norm/action_mean").to(torch::kFloat32),
          checkpoint.at("norm/action_std").to(torch::kFloat32)};
}

ActionNormalizer ActionNormalizer::to(torch::Device device) const {
  return {mean.to(device), std.to(device)};
}

std::vector<std::string> init_trunk_from(A2WorldPolicyNet& net, const Checkpoint& world_model) {
  const std::string prefix = world_model.has_prefix("ema/") ? "ema/" : "model/";
  std::vector<std::string> fresh;
  torch::NoGradGuard no_grad;
  auto copy = [&](const std::string& name, torch::Tensor& t) {
    const auto it = world_model.tensors.find(prefix + name);
    if (it == world_model.tensors.end() || it->second.sizes() != t.sizes()) {
      fresh.push_back(name);
      return;
    }
    t.copy_(it->second.to(t.scalar_type()));
  };
  for (auto& p : net->trunk()->named_parameters()) copy(p.key(), p.value());
  for (auto& b : net->trunk()->named_buffers()) copy(b.key(), b.value());
  return fresh;
}

// ---- The policy ----

std::unique_ptr<A2WorldPolicy> A2WorldPolicy::load(const std::string& path, A2WorldPolicyOptions options) {
  if (!std::filesystem::exists(path)) throw NotFound("A2WorldPolicy: no policy file at '" + path + "'");
  return load(read_checkpoint(path), options);
}

std::unique_ptr<A2WorldPolicy> A2WorldPolicy::load(const Checkpoint& ck, A2WorldPolicyOptions options) {
  const std::string& path = ck.source;
  const std::string kind = env::get_or(ck.meta, "kind", std::string());
  if (kind != kA2WorldPolicyKind)
    throw InvalidArgument("A2WorldPolicy: " + path + " is not an A2World-policy file (meta kind " +
                          (kind.empty() ? std::string("missing, as in a world model") : "'" + kind + "'") +
                          ", expected '" + kA2WorldPolicyKind + "')");
  if (!ck.meta.count("policy_config") || !env::get(ck.meta, "policy_config").is_dict())
    throw InvalidArgument("A2WorldPolicy: " + path + " has no 'policy_config' in its meta");
  const auto config = A2WorldPolicyConfig::from_dict(env::get(ck.meta, "policy_config").as_dict(), ck.config);
  A2WorldPolicyNet net(config);
  load_module(ck, *net, ck.has_prefix("ema/") ? "ema/" : "model/");
  return std::make_unique<A2WorldPolicy>(std::move(net), read_normalizer(ck), ActionNormalizer::from(ck),
                                         options, path);
}

A2WorldPolicy::A2WorldPolicy(A2WorldPolicyNet net, StateNormalizer state, ActionNormalizer actions,
                             A2WorldPolicyOptions options, std::string source)
    : net_(std::move(net)),
      options_(options),
      source_(std::move(source)),
      device_(parse_device(options.device, "A2WorldPolicy")),
      tokenizer_(net_->config().vocabulary) {
  net_->to(device_);
  net_->eval();
  state_norm_ = state.to(device_);
  action_norm_ = actions.to(device_);
  execute_ = options_.execute > 0 ? options_.execute : net_->config().execute;
  if (execute_ > net_->config().chunk())
    throw InvalidArgument("A2WorldPolicy: expected execute in [1, " + std::to_string(net_->config().chunk()) +
                          "], got " + std::to_string(execute_));
  if (!(options_.initial_noise >= 0.0 && options_.initial_noise <= 1e3))
    throw InvalidArgument("A2WorldPolicy: expected initial_noise in [0, 1000], got " +
                          fmt("%g", options_.initial_noise));
}

namespace {

// The noise key of an episode begun without a seed: row i's episode-th.
std::uint64_t row_noise_key(std::size_t row, std::int64_t episode) {
  return env::splitmix64(static_cast<std::uint64_t>(row) * 0x9E37'79B9ull) ^
         (static_cast<std::uint64_t>(episode) << 32);
}

}  // namespace

void A2WorldPolicy::resize_slots(std::size_t n) {
  const std::size_t old = slots_.size();
  slots_.resize(n);
  for (std::size_t i = old; i < n; ++i) slots_[i].noise_key = row_noise_key(i, 0);
}

void A2WorldPolicy::reset(const std::vector<bool>& mask) {
  if (slots_.size() != mask.size()) resize_slots(mask.size());
  for (std::size_t i = 0; i < mask.size(); ++i) {
    if (!mask[i]) continue;
    Slot& s = slots_[i];
    s.frames.clear();
    s.anchor = torch::Tensor();
    s.step = 0;
    ++s.episode;
    s.noise_key = row_noise_key(i, s.episode);
  }
}

void A2WorldPolicy::reset(const std::vector<bool>& mask, const std::vector<std::uint64_t>& seeds) {
  reset(mask);
  for (std::size_t i = 0; i < mask.size() && i < seeds.size(); ++i) {
    if (mask[i]) slots_[i].noise_key = env::splitmix64(seeds[i] ^ 0xA2'57'0000ull);
  }
}

torch::Tensor A2WorldPolicy::predict(const env::Dict& obs, const std::vector<bool>& wanted) {
  torch::NoGradGuard no_grad;
  const A2WorldPolicyConfig& cfg = net_->config();
  const WorldModelConfig& t = cfg.trunk;
  const torch::Tensor all_views =
      policy_views(obs, t.view_keys, t.image_size, "A2WorldPolicy");  // [B, V, S, S, 3]
  const std::int64_t batch = all_views.size(0), k = t.context_frames, h = cfg.chunk();
  if (slots_.empty()) resize_slots(static_cast<std::size_t>(batch));
  if (static_cast<std::int64_t>(slots_.size()) != batch)
    throw InvalidArgument("A2WorldPolicy: the batch had " + std::to_string(slots_.size()) +
                          " envs and now has " + std::to_string(batch) +
                          "; expected reset() with a mask of the new size first");
  if (!wanted.empty() && static_cast<std::int64_t>(wanted.size()) != batch)
    throw InvalidArgument("A2WorldPolicy: expected " + std::to_string(batch) + " wanted flags, got " +
                          std::to_string(wanted.size()));
  // The rows imagined: the wanted ones. The others' history and step stay as they are.
  std::vector<std::int64_t> rows;
  for (std::int64_t i = 0; i < batch; ++i)
    if (wanted.empty() || wanted[static_cast<std::size_t>(i)]) rows.push_back(i);
  auto result = torch::zeros({batch, h, t.action_dim}, torch::kFloat32);
  if (rows.empty()) return result;
  const bool all = static_cast<std::int64_t>(rows.size()) == batch;
  const torch::Tensor index = torch::tensor(rows, torch::kLong);
  const torch::Tensor views = all ? all_views : all_views.index_select(0, index);
  const auto b = static_cast<std::int64_t>(rows.size());

  // Context: per env the frames `chunk` steps apart ending at the current one (older than the episode: its
  // first frame), as the training windows cut them.
  auto context = torch::empty({b, t.views, k, t.image_size, t.image_size, 3}, torch::kUInt8);
  auto anchor = torch::empty({b, t.views, t.image_size, t.image_size, 3}, torch::kUInt8);
  std::vector<std::uint64_t> seeds;
  for (std::int64_t i = 0; i < b; ++i) {
    const std::int64_t row = rows[static_cast<std::size_t>(i)];
    Slot& s = slots_[static_cast<std::size_t>(row)];
    const torch::Tensor frame = views[i].clone();
    if (!s.anchor.defined()) s.anchor = frame;
    s.frames.emplace_back(s.step, frame);
    while (s.frames.size() >= 2 && s.frames[1].first <= s.step - (k - 1) * h) s.frames.pop_front();
    for (std::int64_t j = 0; j < k; ++j) {
      const std::int64_t want = s.step - (k - 1 - j) * h;
      torch::Tensor pick = s.anchor;
      for (const auto& [at, f] : s.frames)
        if (at <= want) pick = f;
      context[i].select(1, j).copy_(pick);
    }
    anchor[i].copy_(s.anchor);
    seeds.push_back(
        env::splitmix64(env::splitmix64(options_.seed) ^ s.noise_key ^ static_cast<std::uint64_t>(s.step)));
    s.step += execute_;
  }

  // Proprioception through the trunk's state input, nothing privileged.
  auto state = torch::zeros({b, t.state_dim}, torch::kFloat32);
  const auto pick = [&](const torch::Tensor& x) { return all ? x : x.index_select(0, index); };
  state.narrow(1, env::kStateJoints, 7).copy_(pick(proprio_key(obs, "joint_states", 7)));
  state.narrow(1, env::kStateGripper, 2).copy_(pick(proprio_key(obs, "gripper_states", 2)));
  state.narrow(1, env::kStateEePos, 3).copy_(pick(proprio_key(obs, "ee_pos", 3)));
  state.narrow(1, env::kStateEeOri, 3).copy_(pick(proprio_key(obs, "ee_ori", 3)));
  const auto mask = proprio_state_mask(t.state_dim).to(device_).unsqueeze(0).expand({b, t.state_dim});
  const auto z = state_norm_.normalize(state.to(device_)) * mask;

  // Instruction words.
  std::vector<std::int64_t> ids;
  const auto it = obs.find("instruction");
  for (std::int64_t i = 0; i < b; ++i) {
    const auto r = static_cast<std::size_t>(rows[static_cast<std::size_t>(i)]);
    std::string text;
    if (it != obs.end() && it->second.is_string()) text = it->second.as_string();
    if (it != obs.end() && it->second.is_list() &&
        static_cast<std::int64_t>(it->second.as_list().size()) == batch &&
        it->second.as_list()[r].is_string())
      text = it->second.as_list()[r].as_string();
    const auto row = tokenizer_.encode(text, cfg.max_words);
    ids.insert(ids.end(), row.begin(), row.end());
  }
  const auto words = torch::tensor(ids, torch::kLong).view({b, cfg.max_words}).to(device_);

  const auto context_sigma = torch::full({b}, t.context_noise_infer, torch::kFloat32).to(device_);
  const auto tokens =
      net_->embed_context(frames_to_model(context.to(device_)), frames_to_model(anchor.to(device_)));
  const auto cond = net_->embed_condition(context_sigma, z, mask);
  const auto instruction = net_->embed_instruction(words);

  // The policy's mode: the future frames pure noise at the largest training level; only the actions are
  // denoised (Euler on Karras's schedule).
  const double sv = t.train_sigma_max;
  const auto frame_noise = seeded_normal(seeds, 1, {t.views, 3, t.image_size, t.image_size}, device_) *
                           (sv * edm_scaling(sv, t.sigma_data).c_in);
  const auto c_noise_frames =
      torch::full({b}, edm_scaling(sv, t.sigma_data).c_noise, torch::kFloat32).to(device_);
  const auto sigmas = karras_sigmas(cfg.action_steps, t.sigma_min, cfg.action_sigma_max, t.rho);
  auto x = seeded_normal(seeds, 2, {h, t.action_dim}, device_) * (sigmas[0] * options_.initial_noise);
  for (std::size_t i = 0; i + 1 < sigmas.size(); ++i) {
    const EdmScaling s = edm_scaling(sigmas[i], cfg.action_sigma_data);
    const auto c_noise = torch::full({b}, s.c_noise, torch::kFloat32).to(device_);
    const auto fa =
        net_->forward(frame_noise, c_noise_frames, tokens, cond, instruction, x * s.c_in, c_noise).second;
    const auto denoised = s.c_skip * x + s.c_out * fa;
    x = sigmas[i + 1] == 0.0 ? denoised : x + (sigmas[i + 1] - sigmas[i]) * (x - denoised) / sigmas[i];
  }
  const auto chunks =
      (x * action_norm_.std + action_norm_.mean).clamp(-1.0, 1.0).to(torch::kCPU).contiguous();
  return all ? chunks : result.index_copy_(0, index, chunks);
}

env::Array A2WorldPolicy::act(const env::Dict& obs) {
  return act_rows(obs, {});
}

env::Array A2WorldPolicy::act_rows(const env::Dict& obs, const std::vector<bool>& wanted) {
  const torch::Tensor chunk = predict(obs, wanted).narrow(1, 0, execute_).contiguous();
  env::Array out(env::DType::kFloat32, {chunk.size(0), chunk.size(1), chunk.size(2)});
  std::memcpy(out.raw(), chunk.data_ptr<float>(), out.nbytes());
  return out;
}

void A2WorldPolicy::save(const std::string& path, const env::Dict& extra_meta) const {
  Checkpoint ck;
  ck.config = net_->config().trunk;
  ck.meta = extra_meta;
  ck.meta["kind"] = std::string(kA2WorldPolicyKind);
  ck.meta["policy_config"] = net_->config().to_dict();
  A2WorldPolicyNet net =
      net_;  // a holder sharing the module: add_module reads it through a non-const reference
  add_module(ck, *net, "model/");
  add_normalizer(ck, state_norm_);
  action_norm_.add_to(ck);
  write_checkpoint(path, ck);
}

}  // namespace a2w::wm
