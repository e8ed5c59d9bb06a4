#pragma once
// Value and Dict: the dynamic data of the env interface. Observations, infos, reset options and env options
// are Dicts (string keys in sorted order) whose values are arrays, text, scalars, lists or nested dicts,
// the same shapes Gymnasium uses in Python (obs dicts, info dicts, options dicts).

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "a2w/env/array.h"

namespace a2w::env {

class Value;
using Dict = std::map<std::string, Value, std::less<>>;
using List = std::vector<Value>;

class Value {
 public:
  using None = std::monostate;

  Value() = default;
  // Defined out of line on purpose: when GCC 12 inlines std::variant's copy/move into callers (a
  // List::push_back, say) it reports false -Wmaybe-uninitialized warnings, which -Werror turns into errors.
  Value(const Value& other);
  Value(Value&& other) noexcept;
  Value& operator=(const Value& other);
  Value& operator=(Value&& other) noexcept;
  ~Value();
  Value(bool v) : v_(v) {}
  Value(int v) : v_(static_cast<std::int64_t>(v)) {}
  Value(std::int64_t v) : v_(v) {}
  Value(std::uint64_t v) : v_(static_cast<std::int64_t>(v)) {}
  Value(double v) : v_(v) {}
  Value(const char* v) : v_(std::string(v)) {}
  Value(std::string v) : v_(std::move(v)) {}
  Value(Array v) : v_(std::move(v)) {}
  Value(List v) : v_(std::make_shared<List>(std::move(v))) {}
  Value(Dict v) : v_(std::make_shared<Dict>(std::move(v))) {}

  bool is_none() const { return std::holds_alternative<None>(v_); }
  bool is_bool() const { return std::holds_alternative<bool>(v_); }
  bool is_int() const { return std::holds_alternative<std::int64_t>(v_); }
  bool is_double() const { return std::holds_alternative<double>(v_); }
  bool is_number() const { return is_int() || is_double(); }
  bool is_string() const { return std::holds_alternative<std::string>(v_); }
  bool is_array() const { return std::holds_alternative<Array>(v_); }
  bool is_list() const { return std::holds_alternative<std::shared_ptr<List>>(v_); }
  bool is_dict() const { return std::holds_alternative<std::shared_ptr<Dict>>(v_); }

  // Accessors throw InvalidArgument naming the expected and actual kind ("expected int, got str"). Numbers
  // convert between int and double (a float to int only when it is integral: 2.0 yes, 2.5 throws); 0-d or
  // one-element arrays convert to numbers and bool; as_bool also takes numbers (nonzero is true), as infos
  // carry "success" either way. A bool is not a number: as_int() of true throws.
  bool as_bool() const;
  std::int64_t as_int() const;
  double as_double() const;
  const std::string& as_string() const;
  const Array& as_array() const;
  Array& as_array();
  const List& as_list() const;
  List& as_list();
  const Dict& as_dict() const;
  Dict& as_dict();

  // "none", "bool", "int", "float", "str", "array", "list", "dict".
  std::string kind() const;
  // Deep copy: arrays cloned, nested containers copied.
  Value clone() const;

 private:
  std::variant<None, bool, std::int64_t, double, std::string, Array, std::shared_ptr<List>,
               std::shared_ptr<Dict>>
      v_;
};

// The kind, with dtype and shape for arrays ("str", "float32 array of shape [3]"), for error messages.
std::string describe(const Value& v);

// Looks up `key` in `d`; throws NotFound naming the key and the keys present.
const Value& get(const Dict& d, std::string_view key);
// Returns d[key] when present, else `fallback`.
double get_or(const Dict& d, std::string_view key, double fallback);
std::int64_t get_or(const Dict& d, std::string_view key, std::int64_t fallback);
bool get_or(const Dict& d, std::string_view key, bool fallback);
std::string get_or(const Dict& d, std::string_view key, const std::string& fallback);
// Without these, an int literal fallback would be ambiguous and a string literal would pick the bool
// overload.
inline std::int64_t get_or(const Dict& d, std::string_view key, int fallback) {
  return get_or(d, key, static_cast<std::int64_t>(fallback));
}
inline std::string get_or(const Dict& d, std::string_view key, const char* fallback) {
  return get_or(d, key, std::string(fallback));
}
// Deep copy of every value.
Dict clone(const Dict& d);

}  // namespace a2w::env
