#include "a2w/wm/sampler.h"

#include "a2w/wm/edm.h"
#include "a2w/wm/frames.h"

namespace a2w::wm {

namespace {

torch::Tensor per_row(const torch::Tensor& v) {
  return v.view({-1, 1, 1, 1, 1});
}

}  // namespace

torch::Tensor denoise(A2WorldNet& net, const torch::Tensor& x, const torch::Tensor& sigma,
                      const torch::Tensor& context_tokens, const Condition& condition, NetOutput* heads) {
  const auto s = edm_scaling(sigma, net->config().sigma_data);
  auto out = net->forward(x * per_row(s.c_in), context_tokens, condition, s.c_noise, heads != nullptr);
  auto d = torch::addcmul(x * per_row(s.c_skip), out.f, per_row(s.c_out));
  if (heads) {
    out.f = torch::Tensor();
    *heads = std::move(out);
  }
  return d;
}

SampleResult sample_next_frames(A2WorldNet& net, const torch::Tensor& context_tokens,
                                const Condition& condition, const torch::Tensor& noise, int steps,
                                bool heun) {
  const auto& c = net->config();
  const auto sigmas = karras_sigmas(steps, c.sigma_min, c.sigma_max, c.rho);
  const auto b = noise.size(0);
  auto sigma_of = [&](double s) { return torch::full({b}, s, noise.options()); };
  SampleResult r;
  auto x = noise * sigmas[0];
  for (int i = 0; i < steps; ++i) {
    const double s = sigmas[static_cast<std::size_t>(i)], next = sigmas[static_cast<std::size_t>(i) + 1];
    const bool last = i + 1 == steps;
    const auto den = denoise(net, x, sigma_of(s), context_tokens, condition, last ? &r.heads : nullptr);
    if (next == 0.0) {
      x = den;
      break;
    }
    const auto d = (x - den) / s;
    const auto x_next = x + d * (next - s);
    if (heun) {
      const auto den2 = denoise(net, x_next, sigma_of(next), context_tokens, condition, nullptr);
      const auto d2 = (x_next - den2) / next;
      x = x + (d + d2) * (0.5 * (next - s));
    } else {
      x = x_next;
    }
  }
  r.frames = quantize_frames(x);
  return r;
}

}  // namespace a2w::wm
