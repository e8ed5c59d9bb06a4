#pragma once
// Spaces, as in Gymnasium 1.x: Box, Discrete, MultiDiscrete, MultiBinary, Text, Dict, Tuple. A space says
// what values an observation or action may take; `contains` checks a value, `sample` draws one from a
// seeded Rng, `check` throws an InvalidArgument naming what was expected and what came.

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "a2w/env/array.h"
#include "a2w/env/rng.h"
#include "a2w/env/value.h"

namespace a2w::env {

class Space;
using SpacePtr = std::shared_ptr<const Space>;

class Space {
 public:
  virtual ~Space() = default;
  // "Box", "Discrete", ...
  virtual std::string kind() const = 0;
  // Gymnasium-style description, e.g. "Box(-1.0, 1.0, (7,), float32)".
  virtual std::string str() const = 0;
  virtual bool contains(const Value& v) const { return why_not(v).empty(); }
  // Empty when `v` is in the space, else what was expected and what came.
  virtual std::string why_not(const Value& v) const = 0;
  // Throws InvalidArgument("<what>: <why_not>") when `v` is not in the space.
  void check(const Value& v, const std::string& what) const;
  virtual Value sample(Rng& rng) const = 0;
};

// A box in R^n (or an integer lattice): elementwise bounds low <= x <= high. Unbounded dims use +-inf.
// For uint8 images low = 0, high = 255.
class Box final : public Space {
 public:
  Box(Array low, Array high);  // same shape and dtype
  Box(double low, double high, Shape shape, DType dtype = DType::kFloat32);
  std::string kind() const override { return "Box"; }
  std::string str() const override;
  std::string why_not(const Value& v) const override;
  Value sample(Rng& rng) const override;

  const Array& low() const { return low_; }
  const Array& high() const { return high_; }
  const Shape& shape() const { return low_.shape(); }
  DType dtype() const { return low_.dtype(); }
  bool bounded() const;

 private:
  Array low_, high_;  // float64 copies of the bounds would lose int64 precision; kept in `dtype`
};

// {start, ..., start + n - 1}, an int64 scalar.
class Discrete final : public Space {
 public:
  explicit Discrete(std::int64_t n, std::int64_t start = 0);
  std::string kind() const override { return "Discrete"; }
  std::string str() const override;
  std::string why_not(const Value& v) const override;
  Value sample(Rng& rng) const override;
  std::int64_t n() const { return n_; }
  std::int64_t start() const { return start_; }

 private:
  std::int64_t n_, start_;
};

// A vector of independent Discretes: x_i in [0, nvec_i). int64 array of nvec's shape.
class MultiDiscrete final : public Space {
 public:
  explicit MultiDiscrete(std::vector<std::int64_t> nvec);
  std::string kind() const override { return "MultiDiscrete"; }
  std::string str() const override;
  std::string why_not(const Value& v) const override;
  Value sample(Rng& rng) const override;
  const std::vector<std::int64_t>& nvec() const { return nvec_; }

 private:
  std::vector<std::int64_t> nvec_;
};

// n bits: a uint8 array of shape [n] whose values are 0 or 1.
class MultiBinary final : public Space {
 public:
  explicit MultiBinary(std::int64_t n);
  std::string kind() const override { return "MultiBinary"; }
  std::string str() const override;
  std::string why_not(const Value& v) const override;
  Value sample(Rng& rng) const override;
  std::int64_t n() const { return n_; }

 private:
  std::int64_t n_;
};

// Strings of min_length..max_length characters from `charset` (default: printable ASCII).
class Text final : public Space {
 public:
  explicit Text(std::int64_t max_length, std::int64_t min_length = 0, std::string charset = "");
  std::string kind() const override { return "Text"; }
  std::string str() const override;
  std::string why_not(const Value& v) const override;
  Value sample(Rng& rng) const override;
  std::int64_t max_length() const { return max_length_; }
  std::int64_t min_length() const { return min_length_; }

 private:
  std::int64_t max_length_, min_length_;
  std::string charset_;
};

// A named collection of spaces; values are Dicts with exactly these keys.
class DictSpace final : public Space {
 public:
  explicit DictSpace(std::vector<std::pair<std::string, SpacePtr>> spaces);
  std::string kind() const override { return "Dict"; }
  std::string str() const override;
  std::string why_not(const Value& v) const override;
  Value sample(Rng& rng) const override;
  const std::vector<std::pair<std::string, SpacePtr>>& spaces() const { return spaces_; }
  // Throws NotFound listing the keys.
  const SpacePtr& at(std::string_view key) const;
  bool has(std::string_view key) const;

 private:
  std::vector<std::pair<std::string, SpacePtr>> spaces_;  // sorted by key
};

// An ordered collection of spaces; values are Lists of the same length.
class TupleSpace final : public Space {
 public:
  explicit TupleSpace(std::vector<SpacePtr> spaces);
  std::string kind() const override { return "Tuple"; }
  std::string str() const override;
  std::string why_not(const Value& v) const override;
  Value sample(Rng& rng) const override;
  const std::vector<SpacePtr>& spaces() const { return spaces_; }

 private:
  std::vector<SpacePtr> spaces_;
};

// The dtype and shape of the arrays an array-valued space holds: Box (its own), Discrete (int64, shape []),
// MultiDiscrete (int64 [k]), MultiBinary (uint8 [n]). Throws InvalidArgument for Text, Dict and Tuple. Batch
// buffers of actions and observations are laid out from it.
std::pair<DType, Shape> array_layout(const Space& space);

// Convenience constructors returning SpacePtr.
SpacePtr box(double low, double high, Shape shape, DType dtype = DType::kFloat32);
SpacePtr box(Array low, Array high);
SpacePtr discrete(std::int64_t n, std::int64_t start = 0);
SpacePtr text(std::int64_t max_length, std::int64_t min_length = 0);
SpacePtr dict(std::vector<std::pair<std::string, SpacePtr>> spaces);

}  // namespace a2w::env
