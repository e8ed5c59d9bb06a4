#include "a2w/env/space.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "dtype_dispatch.h"
#include "format.h"

namespace a2w::env {

namespace {

// Python's tuple spelling of a shape, as Gymnasium prints it: (), (7,), (64, 64, 3).
std::string shape_tuple(const Shape& shape) {
  std::string s = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  if (shape.size() == 1) s += ",";
  return s + ")";
}

// "[2, 0, 1]": the multi-index of flat element `flat` in a C-ordered array of `shape`.
std::string index_str(std::int64_t flat, const Shape& shape) {
  Shape idx(shape.size());
  for (std::size_t k = shape.size(); k-- > 0;) {
    idx[k] = shape[k] ? flat % shape[k] : 0;
    flat = shape[k] ? flat / shape[k] : 0;
  }
  return shape_str(idx);
}

template <typename T>
std::string format_element(T v) {
  if constexpr (std::is_floating_point_v<T>) {
    return detail::format_float(v);
  } else {
    return std::to_string(static_cast<std::int64_t>(v));
  }
}

std::string element_str(const Array& a, std::int64_t i) {
  return detail::dispatch(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    return format_element(a.data<T>()[i]);
  });
}

// The bounds as Gymnasium prints them: one number when every element shares it, else the list.
std::string bound_str(const Array& a) {
  if (a.size() == 0) return "[]";
  bool uniform = true;
  for (std::int64_t i = 1; i < a.size() && uniform; ++i) uniform = element_str(a, i) == element_str(a, 0);
  if (uniform) return element_str(a, 0);
  std::string s = "[";
  for (std::int64_t i = 0; i < a.size(); ++i) s += (i ? ", " : "") + element_str(a, i);
  return s + "]";
}

// A scalar integer value: an int, or a one-element integer array (what a batch row of a Discrete action is).
bool scalar_int(const Value& v, std::int64_t& out) {
  if (v.is_int()) {
    out = v.as_int();
    return true;
  }
  if (v.is_array()) {
    const Array& a = v.as_array();
    if (a.valid() && a.size() == 1 && detail::is_integer(a.dtype())) {
      out = a.at_int(0);
      return true;
    }
  }
  return false;
}

std::string quoted_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7F) return std::string("'") + c + "'";
  static constexpr char kHex[] = "0123456789abcdef";
  return std::string("'\\x") + kHex[u >> 4] + kHex[u & 15] + "'";
}

}  // namespace

void Space::check(const Value& v, const std::string& what) const {
  const std::string why = why_not(v);
  if (!why.empty()) throw InvalidArgument(what + ": " + why);
}

// ----------------------------------------------------------------------------------------------------------
// Box

Box::Box(Array low, Array high) {
  if (!low.valid() || !high.valid())
    throw InvalidArgument("Box: expected valid low and high arrays, got an empty one");
  if (low.dtype() != high.dtype() || low.shape() != high.shape())
    throw InvalidArgument("Box: expected low and high of the same dtype and shape, got low " + describe(low) +
                          " and high " + describe(high));
  low_ = low.clone();
  high_ = high.clone();
  for (std::int64_t i = 0; i < low_.size(); ++i) {
    const double lo = low_.at(i), hi = high_.at(i);
    if (std::isnan(lo) || std::isnan(hi) || lo > hi)
      throw InvalidArgument("Box: expected low <= high, got low " + element_str(low_, i) + " and high " +
                            element_str(high_, i) + " at index " + index_str(i, low_.shape()));
  }
}

namespace {

// Bounds given as doubles become `dtype` arrays; for integer dtypes an infinite bound becomes the dtype's
// limit (as Gymnasium does), which the saturating astype gives.
Array filled(double v, const Shape& shape, DType dtype) {
  Array a(DType::kFloat64, shape);
  std::fill_n(a.data<double>(), a.size(), v);
  return a.astype(dtype);
}

}  // namespace

Box::Box(double low, double high, Shape shape, DType dtype)
    : Box(filled(low, shape, dtype), filled(high, shape, dtype)) {
  if (std::isnan(low) || std::isnan(high))
    throw InvalidArgument("Box: expected bounds that are numbers, got low " + detail::format_double(low) +
                          " and high " + detail::format_double(high));
}

std::string Box::str() const {
  return "Box(" + bound_str(low_) + ", " + bound_str(high_) + ", " + shape_tuple(shape()) + ", " +
         std::string(dtype_name(dtype())) + ")";
}

bool Box::bounded() const {
  if (!detail::is_floating(dtype())) return true;
  for (std::int64_t i = 0; i < low_.size(); ++i)
    if (!std::isfinite(low_.at(i)) || !std::isfinite(high_.at(i))) return false;
  return true;
}

std::string Box::why_not(const Value& v) const {
  const std::string expected = "expected " + describe(low_);
  if (!v.is_array()) return expected + ", got " + describe(v);
  const Array& a = v.as_array();
  if (!a.valid() || a.dtype() != dtype() || a.shape() != shape()) return expected + ", got " + describe(a);
  return detail::dispatch(dtype(), [&](auto tag) -> std::string {
    using T = decltype(tag);
    const T* x = a.data<T>();
    const T* lo = low_.data<T>();
    const T* hi = high_.data<T>();
    for (std::int64_t i = 0; i < a.size(); ++i) {
      // Written so that NaN fails: every comparison with NaN is false.
      if (!(x[i] >= lo[i] && x[i] <= hi[i]))
        return "expected values in [" + format_element(lo[i]) + ", " + format_element(hi[i]) + "], got " +
               format_element(x[i]) + " at index " + index_str(i, shape());
    }
    return {};
  });
}

Value Box::sample(Rng& rng) const {
  Array out(dtype(), shape());
  detail::dispatch(dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* x = out.data<T>();
    const T* lo = low_.data<T>();
    const T* hi = high_.data<T>();
    for (std::int64_t i = 0; i < out.size(); ++i) {
      if constexpr (std::is_floating_point_v<T>) {
        // Gymnasium's rules: uniform when bounded, normal when unbounded, an exponential away from the one
        // finite bound when half-bounded.
        const double l = lo[i], h = hi[i];
        const bool has_lo = std::isfinite(l), has_hi = std::isfinite(h);
        double s;
        if (has_lo && has_hi) {
          const double u = rng.uniform();
          const double span = h - l;
          s = std::isfinite(span) ? l + span * u : l * (1.0 - u) + h * u;
        } else if (has_lo) {
          s = l - std::log(1.0 - rng.uniform());
        } else if (has_hi) {
          s = h + std::log(1.0 - rng.uniform());
        } else {
          s = rng.normal();
        }
        T t = static_cast<T>(s);
        // Rounding to float32 may land on a neighbour outside a bound; the bounds themselves are exact.
        if (has_lo && t < lo[i]) t = lo[i];
        if (has_hi && t > hi[i]) t = hi[i];
        x[i] = t;
      } else {
        // Integers exactly, without a detour through double (int64 bounds beyond 2^53 stay exact).
        const auto l = static_cast<std::int64_t>(lo[i]);
        const auto h = static_cast<std::int64_t>(hi[i]);
        const std::uint64_t span = static_cast<std::uint64_t>(h) - static_cast<std::uint64_t>(l);
        const std::uint64_t r =
            span == std::numeric_limits<std::uint64_t>::max() ? rng.next_u64() : rng.below(span + 1);
        x[i] = static_cast<T>(static_cast<std::int64_t>(static_cast<std::uint64_t>(l) + r));
      }
    }
  });
  return Value(std::move(out));
}

// -----------------------------------------------------------------------------------------------------
// Discrete

Discrete::Discrete(std::int64_t n, std::int64_t start) : n_(n), start_(start) {
  if (n <= 0) throw InvalidArgument("Discrete: expected n > 0, got " + std::to_string(n));
}

std::string Discrete::str() const {
  if (start_ == 0) return "Discrete(" + std::to_string(n_) + ")";
  return "Discrete(" + std::to_string(n_) + ", start=" + std::to_string(start_) + ")";
}

std::string Discrete::why_not(const Value& v) const {
  const std::string expected =
      "expected an int in [" + std::to_string(start_) + ", " + std::to_string(start_ + n_) + ")";
  std::int64_t x = 0;
  if (!scalar_int(v, x)) return expected + ", got " + describe(v);
  if (x < start_ || x >= start_ + n_) return expected + ", got " + std::to_string(x);
  return {};
}

Value Discrete::sample(Rng& rng) const {
  return Value(start_ + static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(n_))));
}

// ------------------------------------------------------------------------------------------------
// MultiDiscrete

MultiDiscrete::MultiDiscrete(std::vector<std::int64_t> nvec) : nvec_(std::move(nvec)) {
  for (std::size_t i = 0; i < nvec_.size(); ++i)
    if (nvec_[i] <= 0)
      throw InvalidArgument("MultiDiscrete: expected every nvec entry > 0, got " + std::to_string(nvec_[i]) +
                            " at index " + std::to_string(i));
}

std::string MultiDiscrete::str() const {
  return "MultiDiscrete(" + shape_str(nvec_) + ")";
}

std::string MultiDiscrete::why_not(const Value& v) const {
  const Shape shape{static_cast<std::int64_t>(nvec_.size())};
  const std::string expected = "expected int64 array of shape " + shape_str(shape);
  if (!v.is_array()) return expected + ", got " + describe(v);
  const Array& a = v.as_array();
  if (!a.valid() || a.dtype() != DType::kInt64 || a.shape() != shape)
    return expected + ", got " + describe(a);
  const std::int64_t* x = a.data<std::int64_t>();
  for (std::size_t i = 0; i < nvec_.size(); ++i)
    if (x[i] < 0 || x[i] >= nvec_[i])
      return "expected a value in [0, " + std::to_string(nvec_[i]) + ") at index " + std::to_string(i) +
             ", got " + std::to_string(x[i]);
  return {};
}

Value MultiDiscrete::sample(Rng& rng) const {
  Array out(DType::kInt64, Shape{static_cast<std::int64_t>(nvec_.size())});
  std::int64_t* x = out.data<std::int64_t>();
  for (std::size_t i = 0; i < nvec_.size(); ++i)
    x[i] = static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(nvec_[i])));
  return Value(std::move(out));
}

// --------------------------------------------------------------------------------------------------
// MultiBinary

MultiBinary::MultiBinary(std::int64_t n) : n_(n) {
  if (n <= 0) throw InvalidArgument("MultiBinary: expected n > 0, got " + std::to_string(n));
}

std::string MultiBinary::str() const {
  return "MultiBinary(" + std::to_string(n_) + ")";
}

std::string MultiBinary::why_not(const Value& v) const {
  const std::string expected = "expected uint8 array of shape [" + std::to_string(n_) + "]";
  if (!v.is_array()) return expected + ", got " + describe(v);
  const Array& a = v.as_array();
  if (!a.valid() || a.dtype() != DType::kUInt8 || a.shape() != Shape{n_})
    return expected + ", got " + describe(a);
  const std::uint8_t* x = a.data<std::uint8_t>();
  for (std::int64_t i = 0; i < n_; ++i)
    if (x[i] > 1) return "expected 0 or 1 at index " + std::to_string(i) + ", got " + std::to_string(x[i]);
  return {};
}

Value MultiBinary::sample(Rng& rng) const {
  Array out(DType::kUInt8, Shape{n_});
  std::uint8_t* x = out.data<std::uint8_t>();
  for (std::int64_t i = 0; i < n_; ++i) x[i] = static_cast<std::uint8_t>(rng.below(2));
  return Value(std::move(out));
}

// ---------------------------------------------------------------------------------------------------------
// Text

namespace {

std::string printable_ascii() {
  std::string s;
  for (char c = 0x20; c < 0x7F; ++c) s += c;
  return s;
}

}  // namespace

Text::Text(std::int64_t max_length, std::int64_t min_length, std::string charset)
    : max_length_(max_length), min_length_(min_length) {
  if (min_length < 0 || max_length < min_length)
    throw InvalidArgument("Text: expected 0 <= min_length <= max_length, got min_length " +
                          std::to_string(min_length) + " and max_length " + std::to_string(max_length));
  // Duplicates would skew sampling; keep the first occurrence of each character.
  for (const char c : charset.empty() ? printable_ascii() : charset)
    if (charset_.find(c) == std::string::npos) charset_ += c;
}

std::string Text::str() const {
  std::string s = "Text(" + std::to_string(min_length_) + ", " + std::to_string(max_length_);
  if (charset_ != printable_ascii()) s += ", charset=" + charset_;
  return s + ")";
}

std::string Text::why_not(const Value& v) const {
  const std::string expected =
      "expected str of " + std::to_string(min_length_) + " to " + std::to_string(max_length_) + " characters";
  if (!v.is_string()) return expected + ", got " + describe(v);
  const std::string& s = v.as_string();
  const auto n = static_cast<std::int64_t>(s.size());
  if (n < min_length_ || n > max_length_) return expected + ", got " + std::to_string(n) + " characters";
  for (std::size_t i = 0; i < s.size(); ++i)
    if (charset_.find(s[i]) == std::string::npos)
      return "expected characters from the charset, got " + quoted_char(s[i]) + " at index " +
             std::to_string(i);
  return {};
}

Value Text::sample(Rng& rng) const {
  const auto n = min_length_ + static_cast<std::int64_t>(
                                   rng.below(static_cast<std::uint64_t>(max_length_ - min_length_ + 1)));
  std::string s;
  s.reserve(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) s += charset_[rng.below(charset_.size())];
  return Value(std::move(s));
}

// ----------------------------------------------------------------------------------------------------
// DictSpace

DictSpace::DictSpace(std::vector<std::pair<std::string, SpacePtr>> spaces) : spaces_(std::move(spaces)) {
  std::sort(spaces_.begin(), spaces_.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (std::size_t i = 0; i < spaces_.size(); ++i) {
    if (!spaces_[i].second)
      throw InvalidArgument("Dict space: expected a space for key '" + spaces_[i].first + "', got null");
    if (i && spaces_[i].first == spaces_[i - 1].first)
      throw InvalidArgument("Dict space: expected unique keys, got '" + spaces_[i].first + "' twice");
  }
}

std::string DictSpace::str() const {
  std::string s = "Dict(";
  for (std::size_t i = 0; i < spaces_.size(); ++i)
    s += (i ? ", '" : "'") + spaces_[i].first + "': " + spaces_[i].second->str();
  return s + ")";
}

std::string DictSpace::why_not(const Value& v) const {
  std::string keys;
  for (const auto& [k, s] : spaces_) keys += (keys.empty() ? "" : ", ") + k;
  if (!v.is_dict()) return "expected dict with keys [" + keys + "], got " + describe(v);
  const Dict& d = v.as_dict();
  for (const auto& [k, s] : spaces_)
    if (!d.contains(k)) return "expected dict with keys [" + keys + "], got no key '" + k + "'";
  for (const auto& [k, x] : d)
    if (!has(k)) return "expected dict with keys [" + keys + "], got unexpected key '" + k + "'";
  for (const auto& [k, s] : spaces_) {
    const std::string why = s->why_not(d.find(k)->second);
    if (!why.empty()) return "key '" + k + "': " + why;
  }
  return {};
}

Value DictSpace::sample(Rng& rng) const {
  Dict d;
  for (const auto& [k, s] : spaces_) d.emplace(k, s->sample(rng));
  return Value(std::move(d));
}

const SpacePtr& DictSpace::at(std::string_view key) const {
  auto it = std::lower_bound(spaces_.begin(), spaces_.end(), key,
                             [](const auto& entry, std::string_view k) { return entry.first < k; });
  if (it != spaces_.end() && it->first == key) return it->second;
  std::string keys;
  for (const auto& [k, s] : spaces_) keys += (keys.empty() ? "" : ", ") + k;
  throw NotFound("Dict space: expected one of the keys [" + keys + "], got '" + std::string(key) + "'");
}

bool DictSpace::has(std::string_view key) const {
  auto it = std::lower_bound(spaces_.begin(), spaces_.end(), key,
                             [](const auto& entry, std::string_view k) { return entry.first < k; });
  return it != spaces_.end() && it->first == key;
}

// ---------------------------------------------------------------------------------------------------
// TupleSpace

TupleSpace::TupleSpace(std::vector<SpacePtr> spaces) : spaces_(std::move(spaces)) {
  for (std::size_t i = 0; i < spaces_.size(); ++i)
    if (!spaces_[i])
      throw InvalidArgument("Tuple space: expected a space at index " + std::to_string(i) + ", got null");
}

std::string TupleSpace::str() const {
  std::string s = "Tuple(";
  for (std::size_t i = 0; i < spaces_.size(); ++i) s += (i ? ", " : "") + spaces_[i]->str();
  return s + ")";
}

std::string TupleSpace::why_not(const Value& v) const {
  const std::string expected = "expected list of " + std::to_string(spaces_.size()) + " values";
  if (!v.is_list()) return expected + ", got " + describe(v);
  const List& l = v.as_list();
  if (l.size() != spaces_.size()) return expected + ", got " + std::to_string(l.size());
  for (std::size_t i = 0; i < spaces_.size(); ++i) {
    const std::string why = spaces_[i]->why_not(l[i]);
    if (!why.empty()) return "element " + std::to_string(i) + ": " + why;
  }
  return {};
}

Value TupleSpace::sample(Rng& rng) const {
  List l;
  l.reserve(spaces_.size());
  for (const auto& s : spaces_) l.push_back(s->sample(rng));
  return Value(std::move(l));
}

// ------------------------------------------------------------------------------------------------ helpers

std::pair<DType, Shape> array_layout(const Space& space) {
  if (const auto* b = dynamic_cast<const Box*>(&space)) return {b->dtype(), b->shape()};
  if (dynamic_cast<const Discrete*>(&space)) return {DType::kInt64, Shape{}};
  if (const auto* m = dynamic_cast<const MultiDiscrete*>(&space))
    return {DType::kInt64, Shape{static_cast<std::int64_t>(m->nvec().size())}};
  if (const auto* m = dynamic_cast<const MultiBinary*>(&space)) return {DType::kUInt8, Shape{m->n()}};
  throw InvalidArgument("expected an array space (Box, Discrete, MultiDiscrete, MultiBinary), got " +
                        space.str());
}

// ---------------------------------------------------------------------------------------------- constructors

SpacePtr box(double low, double high, Shape shape, DType dtype) {
  return std::make_shared<Box>(low, high, std::move(shape), dtype);
}
SpacePtr box(Array low, Array high) {
  return std::make_shared<Box>(std::move(low), std::move(high));
}
SpacePtr discrete(std::int64_t n, std::int64_t start) {
  return std::make_shared<Discrete>(n, start);
}
SpacePtr text(std::int64_t max_length, std::int64_t min_length) {
  return std::make_shared<Text>(max_length, min_length);
}
SpacePtr dict(std::vector<std::pair<std::string, SpacePtr>> spaces) {
  return std::make_shared<DictSpace>(std::move(spaces));
}

}  // namespace a2w::env
