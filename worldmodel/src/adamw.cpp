#include "a2w/wm/adamw.h"

#include <algorithm>
#include <cmath>

#include "a2w/env/error.h"

namespace a2w::wm {

AdamW::AdamW(torch::nn::Module& module, AdamWOptions options) : options_(options) {
  for (const auto& p : module.named_parameters()) {
    Slot s;
    s.name = p.key();
    s.param = p.value();
    s.exp_avg = torch::zeros_like(s.param);
    s.exp_avg_sq = torch::zeros_like(s.param);
    const auto& n = s.name;
    const bool is_weight = n.size() >= 6 && n.compare(n.size() - 6, 6, "weight") == 0;
    s.decay = is_weight && s.param.dim() >= 2 && n.rfind("task.", 0) != 0;
    slots_.push_back(std::move(s));
  }
}

void AdamW::zero_grad() {
  for (auto& s : slots_) {
    auto& g = s.param.mutable_grad();
    if (g.defined()) g.zero_();
  }
}

void AdamW::step(double lr) {
  torch::NoGradGuard no_grad;
  ++steps_;
  const double b1 = options_.beta1, b2 = options_.beta2;
  const double bc1 = 1.0 - std::pow(b1, static_cast<double>(steps_));
  const double bc2 = 1.0 - std::pow(b2, static_cast<double>(steps_));
  for (auto& s : slots_) {
    const auto& g = s.param.grad();
    if (!g.defined()) continue;
    if (s.decay && options_.weight_decay > 0) s.param.mul_(1.0 - lr * options_.weight_decay);
    s.exp_avg.mul_(b1).add_(g, 1.0 - b1);
    s.exp_avg_sq.mul_(b2).addcmul_(g, g, 1.0 - b2);
    const auto denom = (s.exp_avg_sq / bc2).sqrt_().add_(options_.eps);
    s.param.addcdiv_(s.exp_avg, denom, -lr / bc1);
  }
}

void AdamW::save(Checkpoint& checkpoint, const std::string& prefix) const {
  for (const auto& s : slots_) {
    checkpoint.tensors[prefix + s.name + "/exp_avg"] = s.exp_avg.detach().to(torch::kCPU).clone();
    checkpoint.tensors[prefix + s.name + "/exp_avg_sq"] = s.exp_avg_sq.detach().to(torch::kCPU).clone();
  }
  checkpoint.meta[prefix + "steps"] = steps_;
}

void AdamW::load(const Checkpoint& checkpoint, const std::string& prefix) {
  torch::NoGradGuard no_grad;
  for (auto& s : slots_) {
    for (auto* dst : {&s.exp_avg, &s.exp_avg_sq}) {
      const auto name = prefix + s.name + (dst == &s.exp_avg ? "/exp_avg" : "/exp_avg_sq");
      const auto& src = checkpoint.at(name);
      if (src.sizes() != dst->sizes())
        throw InvalidArgument("checkpoint " + checkpoint.source + ": optimizer tensor '" + name +
                              "' does not match its parameter's shape");
      dst->copy_(src.to(dst->scalar_type()));
    }
  }
  steps_ = env::get(checkpoint.meta, prefix + "steps").as_int();
}

double ema_decay_at(double decay, std::int64_t step) {
  return std::min(decay, (1.0 + static_cast<double>(step)) / (10.0 + static_cast<double>(step)));
}

void ema_update(torch::nn::Module& ema, torch::nn::Module& model, double decay) {
  torch::NoGradGuard no_grad;
  auto e = ema.parameters();
  auto m = model.parameters();
  if (e.size() != m.size()) throw InvalidArgument("ema_update: the two modules have different parameters");
  for (std::size_t i = 0; i < e.size(); ++i) e[i].mul_(decay).add_(m[i], 1.0 - decay);
}

}  // namespace a2w::wm
