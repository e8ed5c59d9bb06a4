#pragma once
// Wrapper: an Env that forwards to another one it owns; subclasses override what they change.

#include <utility>

#include "a2w/env/env.h"

namespace a2w::env {

class Wrapper : public Env {
 public:
  explicit Wrapper(EnvPtr inner) : inner_(std::move(inner)) {
    if (!inner_) throw InvalidArgument("Wrapper: expected an env to wrap, got null");
  }
  const EnvSpec& spec() const override { return inner_->spec(); }
  ResetResult reset(std::optional<std::uint64_t> seed = std::nullopt, const Dict& options = {}) override {
    return inner_->reset(seed, options);
  }
  StepResult step(const Array& action) override { return inner_->step(action); }
  void close() override { inner_->close(); }
  Array render() override { return inner_->render(); }
  Env& unwrapped() override { return inner_->unwrapped(); }

  Env& inner() { return *inner_; }

 protected:
  EnvPtr inner_;
};

}  // namespace a2w::env
