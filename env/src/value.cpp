#include "a2w/env/value.h"

#include <cmath>
#include <limits>

#include "format.h"

namespace a2w::env {

namespace {

[[noreturn]] void wrong_kind(const char* expected, const Value& v) {
  throw InvalidArgument(std::string("expected ") + expected + ", got " + describe(v));
}

// 0-d or one-element arrays stand for a number, the way numpy scalars do in Gymnasium infos.
bool is_scalar_array(const Value& v) {
  return v.is_array() && v.as_array().valid() && v.as_array().size() == 1;
}

}  // namespace

Value::Value(const Value& other) = default;
Value::Value(Value&& other) noexcept = default;
Value& Value::operator=(const Value& other) = default;
Value& Value::operator=(Value&& other) noexcept = default;
Value::~Value() = default;

std::string Value::kind() const {
  static constexpr const char* kNames[] = {"none", "bool", "int", "float", "str", "array", "list", "dict"};
  return kNames[v_.index()];
}

std::string describe(const Value& v) {
  return v.is_array() ? describe(v.as_array()) : v.kind();
}

bool Value::as_bool() const {
  if (const bool* b = std::get_if<bool>(&v_)) return *b;
  if (const std::int64_t* i = std::get_if<std::int64_t>(&v_)) return *i != 0;
  if (const double* d = std::get_if<double>(&v_)) return *d != 0.0;
  if (is_scalar_array(*this)) return as_array().at(0) != 0.0;
  wrong_kind("bool", *this);
}

std::int64_t Value::as_int() const {
  if (const std::int64_t* i = std::get_if<std::int64_t>(&v_)) return *i;
  double d = 0.0;
  if (const double* p = std::get_if<double>(&v_)) {
    d = *p;
  } else if (is_scalar_array(*this)) {
    const Array& a = as_array();
    if (a.dtype() != DType::kFloat32 && a.dtype() != DType::kFloat64) return a.at_int(0);
    d = a.at(0);
  } else {
    wrong_kind("int", *this);
  }
  // A float converts only when it holds an integer exactly: silently truncating 2.7 hides bugs.
  if (!(std::trunc(d) == d && std::abs(d) < 9.2e18))
    throw InvalidArgument("expected int, got float " + detail::format_double(d));
  return static_cast<std::int64_t>(d);
}

double Value::as_double() const {
  if (const double* d = std::get_if<double>(&v_)) return *d;
  if (const std::int64_t* i = std::get_if<std::int64_t>(&v_)) return static_cast<double>(*i);
  if (is_scalar_array(*this)) return as_array().at(0);
  wrong_kind("float", *this);
}

const std::string& Value::as_string() const {
  if (const std::string* s = std::get_if<std::string>(&v_)) return *s;
  wrong_kind("str", *this);
}

const Array& Value::as_array() const {
  if (const Array* a = std::get_if<Array>(&v_)) return *a;
  wrong_kind("array", *this);
}

Array& Value::as_array() {
  if (Array* a = std::get_if<Array>(&v_)) return *a;
  wrong_kind("array", *this);
}

const List& Value::as_list() const {
  if (const auto* l = std::get_if<std::shared_ptr<List>>(&v_)) return **l;
  wrong_kind("list", *this);
}

List& Value::as_list() {
  if (auto* l = std::get_if<std::shared_ptr<List>>(&v_)) return **l;
  wrong_kind("list", *this);
}

const Dict& Value::as_dict() const {
  if (const auto* d = std::get_if<std::shared_ptr<Dict>>(&v_)) return **d;
  wrong_kind("dict", *this);
}

Dict& Value::as_dict() {
  if (auto* d = std::get_if<std::shared_ptr<Dict>>(&v_)) return **d;
  wrong_kind("dict", *this);
}

Value Value::clone() const {
  if (is_array()) return Value(as_array().clone());
  if (is_list()) {
    List out;
    out.reserve(as_list().size());
    for (const Value& v : as_list()) out.push_back(v.clone());
    return Value(std::move(out));
  }
  if (is_dict()) return Value(env::clone(as_dict()));
  return *this;  // scalars and strings are values already
}

const Value& get(const Dict& d, std::string_view key) {
  auto it = d.find(key);
  if (it != d.end()) return it->second;
  std::string keys;
  for (const auto& [k, v] : d) keys += (keys.empty() ? "" : ", ") + k;
  throw NotFound("expected key '" + std::string(key) + "', got a dict with keys [" + keys + "]");
}

namespace {

template <typename T, typename F>
T get_or_impl(const Dict& d, std::string_view key, T fallback, F convert) {
  auto it = d.find(key);
  if (it == d.end() || it->second.is_none()) return fallback;
  try {
    return convert(it->second);
  } catch (const InvalidArgument& e) {
    throw InvalidArgument("key '" + std::string(key) + "': " + e.what());
  }
}

}  // namespace

double get_or(const Dict& d, std::string_view key, double fallback) {
  return get_or_impl(d, key, fallback, [](const Value& v) { return v.as_double(); });
}

std::int64_t get_or(const Dict& d, std::string_view key, std::int64_t fallback) {
  return get_or_impl(d, key, fallback, [](const Value& v) { return v.as_int(); });
}

bool get_or(const Dict& d, std::string_view key, bool fallback) {
  return get_or_impl(d, key, fallback, [](const Value& v) { return v.as_bool(); });
}

std::string get_or(const Dict& d, std::string_view key, const std::string& fallback) {
  return get_or_impl(d, key, fallback, [](const Value& v) { return v.as_string(); });
}

Dict clone(const Dict& d) {
  Dict out;
  for (const auto& [k, v] : d) out.emplace(k, v.clone());
  return out;
}

}  // namespace a2w::env
