#include "a2w/env/json.h"

#include <charconv>
#include <cmath>

#include "dtype_dispatch.h"
#include "format.h"

namespace a2w::env {

// ------------------------------------------------------------------------------------------------- writing

namespace {

void write_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (u < 0x20) {
          out += "\\u00";
          out += kHex[u >> 4];
          out += kHex[u & 15];
        } else {
          out += c;  // UTF-8 passes through unchanged
        }
    }
  }
  out += '"';
}

template <typename F>
void write_float(std::string& out, F v) {
  if (!std::isfinite(v)) {
    out += "null";
    return;
  }
  out += detail::format_float(v);
}

void newline(std::string& out, bool pretty, int depth) {
  if (!pretty) return;
  out += '\n';
  out.append(static_cast<std::size_t>(depth) * 2, ' ');
}

void write_array(std::string& out, const Array& a, bool pretty, int depth) {
  if (!a.valid()) {
    out += "null";
    return;
  }
  detail::dispatch(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* p = a.data<T>();
    auto element = [&](std::int64_t i) {
      if constexpr (std::is_same_v<T, bool>) {
        out += p[i] ? "true" : "false";
      } else if constexpr (std::is_floating_point_v<T>) {
        write_float(out, p[i]);
      } else {
        out += std::to_string(static_cast<std::int64_t>(p[i]));
      }
    };
    const Shape& shape = a.shape();
    if (shape.empty()) {
      element(0);
      return;
    }
    // Recursion over dims with the flat offset of the current sub-array.
    auto rec = [&](auto& self, std::size_t dim, std::int64_t offset, int d) -> void {
      const std::int64_t n = shape[dim];
      std::int64_t stride = 1;
      for (std::size_t k = dim + 1; k < shape.size(); ++k) stride *= shape[k];
      const bool inner = dim + 1 == shape.size();
      out += '[';
      for (std::int64_t i = 0; i < n; ++i) {
        if (i) out += pretty && inner ? ", " : ",";
        if (inner) {
          element(offset + i);
        } else {
          newline(out, pretty, d + 1);
          self(self, dim + 1, offset + i * stride, d + 1);
        }
      }
      if (!inner && n > 0) newline(out, pretty, d);
      out += ']';
    };
    rec(rec, 0, 0, depth);
  });
}

bool is_scalar(const Value& v) {
  return !(v.is_list() || v.is_dict() || (v.is_array() && v.as_array().ndim() > 0));
}

void write_value(std::string& out, const Value& v, bool pretty, int depth);

void write_dict(std::string& out, const Dict& d, bool pretty, int depth) {
  out += '{';
  bool first = true;
  for (const auto& [k, v] : d) {
    if (!first) out += ',';
    first = false;
    newline(out, pretty, depth + 1);
    write_string(out, k);
    out += pretty ? ": " : ":";
    write_value(out, v, pretty, depth + 1);
  }
  if (!d.empty()) newline(out, pretty, depth);
  out += '}';
}

void write_value(std::string& out, const Value& v, bool pretty, int depth) {
  if (v.is_none()) {
    out += "null";
  } else if (v.is_bool()) {
    out += v.as_bool() ? "true" : "false";
  } else if (v.is_int()) {
    out += std::to_string(v.as_int());
  } else if (v.is_double()) {
    write_float(out, v.as_double());
  } else if (v.is_string()) {
    write_string(out, v.as_string());
  } else if (v.is_array()) {
    write_array(out, v.as_array(), pretty, depth);
  } else if (v.is_list()) {
    const List& l = v.as_list();
    // A list of scalars stays on one line even when pretty.
    bool flat = true;
    for (const Value& x : l) flat = flat && is_scalar(x);
    out += '[';
    for (std::size_t i = 0; i < l.size(); ++i) {
      if (i) out += pretty && flat ? ", " : ",";
      if (!flat) newline(out, pretty, depth + 1);
      write_value(out, l[i], pretty, depth + 1);
    }
    if (!flat && !l.empty()) newline(out, pretty, depth);
    out += ']';
  } else {
    write_dict(out, v.as_dict(), pretty, depth);
  }
}

}  // namespace

std::string to_json(const Value& v, bool pretty) {
  std::string out;
  write_value(out, v, pretty, 0);
  return out;
}

std::string to_json(const Dict& d, bool pretty) {
  std::string out;
  write_dict(out, d, pretty, 0);
  return out;
}

// ------------------------------------------------------------------------------------------------- parsing

namespace {

class Parser {
 public:
  explicit Parser(std::string_view text) : s_(text) {}

  Value document() {
    skip_space();
    Value v = value(0);
    skip_space();
    if (pos_ != s_.size()) fail("end of input");
    return v;
  }

 private:
  static constexpr int kMaxDepth = 256;  // deeper nesting is an attack or a bug, not options

  [[noreturn]] void fail(const std::string& expected) const {
    std::size_t line = 1, column = 1;
    for (std::size_t i = 0; i < pos_ && i < s_.size(); ++i) {
      if (s_[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    std::string got;
    if (pos_ >= s_.size()) {
      got = "end of input";
    } else {
      const auto u = static_cast<unsigned char>(s_[pos_]);
      got = u >= 0x20 && u < 0x7F ? "'" + std::string(1, s_[pos_]) + "'" : "byte " + std::to_string(u);
    }
    throw InvalidArgument("JSON: expected " + expected + " at line " + std::to_string(line) + ", column " +
                          std::to_string(column) + ", got " + got);
  }

  void skip_space() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r'))
      ++pos_;
  }

  bool eat(char c) {
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  bool eat_word(std::string_view w) {
    if (s_.substr(pos_, w.size()) == w) {
      pos_ += w.size();
      return true;
    }
    return false;
  }

  Value value(int depth) {
    if (depth > kMaxDepth) fail("at most " + std::to_string(kMaxDepth) + " levels of nesting");
    if (pos_ >= s_.size()) fail("a value");
    const char c = s_[pos_];
    if (c == '{') return object(depth);
    if (c == '[') return array(depth);
    if (c == '"') return Value(string());
    if (c == '-' || (c >= '0' && c <= '9')) return number();
    if (eat_word("true")) return Value(true);
    if (eat_word("false")) return Value(false);
    if (eat_word("null")) return Value();
    fail("a value");
  }

  Value object(int depth) {
    ++pos_;  // '{'
    Dict d;
    skip_space();
    if (eat('}')) return Value(std::move(d));
    while (true) {
      skip_space();
      if (pos_ >= s_.size() || s_[pos_] != '"') fail("a string key");
      const std::size_t key_pos = pos_;
      std::string key = string();
      skip_space();
      if (!eat(':')) fail("':'");
      skip_space();
      Value v = value(depth + 1);
      if (!d.emplace(key, std::move(v)).second) {
        pos_ = key_pos;
        fail("unique keys (\"" + key + "\" appears twice)");
      }
      skip_space();
      if (eat('}')) return Value(std::move(d));
      if (!eat(',')) fail("',' or '}'");
    }
  }

  Value array(int depth) {
    ++pos_;  // '['
    List l;
    skip_space();
    if (eat(']')) return Value(std::move(l));
    while (true) {
      skip_space();
      l.push_back(value(depth + 1));
      skip_space();
      if (eat(']')) return Value(std::move(l));
      if (!eat(',')) fail("',' or ']'");
    }
  }

  unsigned hex4() {
    unsigned v = 0;
    for (int i = 0; i < 4; ++i) {
      if (pos_ >= s_.size()) fail("4 hex digits");
      const char c = s_[pos_];
      unsigned d;
      if (c >= '0' && c <= '9') {
        d = static_cast<unsigned>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        d = static_cast<unsigned>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        d = static_cast<unsigned>(c - 'A' + 10);
      } else {
        fail("4 hex digits");
      }
      v = v * 16 + d;
      ++pos_;
    }
    return v;
  }

  static void append_utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  std::string string() {
    ++pos_;  // opening quote
    std::string out;
    while (true) {
      if (pos_ >= s_.size()) fail("'\"' closing the string");
      const char c = s_[pos_];
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (static_cast<unsigned char>(c) < 0x20) fail("an escaped control character (\\n, \\u0001...)");
      if (c != '\\') {
        out += c;
        ++pos_;
        continue;
      }
      ++pos_;
      if (pos_ >= s_.size()) fail("an escape character");
      const char e = s_[pos_++];
      switch (e) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          unsigned cp = hex4();
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            // A high surrogate must be followed by a low one; together they are one code point.
            if (!eat_word("\\u")) fail("a low surrogate \\uDC00-\\uDFFF after a high surrogate");
            const unsigned lo = hex4();
            if (lo < 0xDC00 || lo > 0xDFFF) fail("a low surrogate \\uDC00-\\uDFFF after a high surrogate");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            fail("a high surrogate before a low surrogate");
          }
          append_utf8(out, cp);
          break;
        }
        default:
          --pos_;
          fail("one of the escapes \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u");
      }
    }
  }

  Value number() {
    const std::size_t start = pos_;
    auto digits = [&] {
      const std::size_t from = pos_;
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
      return pos_ - from;
    };
    eat('-');
    if (eat('0')) {
      // JSON forbids leading zeros such as 01.
    } else if (digits() == 0) {
      fail("a digit");
    }
    bool integral = true;
    if (eat('.')) {
      integral = false;
      if (digits() == 0) fail("a digit after '.'");
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      integral = false;
      ++pos_;
      if (!eat('+')) eat('-');
      if (digits() == 0) fail("a digit in the exponent");
    }
    const char* first = s_.data() + start;
    const char* last = s_.data() + pos_;
    if (integral) {
      std::int64_t i = 0;
      auto [p, ec] = std::from_chars(first, last, i);
      if (ec == std::errc() && p == last) return Value(i);
    }
    double d = 0.0;
    auto [p, ec] = std::from_chars(first, last, d);
    if (p != last || (ec != std::errc() && ec != std::errc::result_out_of_range)) {
      pos_ = start;
      fail("a number");
    }
    return Value(d);
  }

  std::string_view s_;
  std::size_t pos_ = 0;
};

void infer_shape(const Value& v, Shape& shape, std::size_t depth) {
  if (!v.is_list()) return;
  shape.push_back(static_cast<std::int64_t>(v.as_list().size()));
  if (!v.as_list().empty()) infer_shape(v.as_list()[0], shape, depth + 1);
}

template <typename T>
void fill(const Value& v, const Shape& shape, std::size_t dim, T*& out) {
  if (dim == shape.size()) {
    if (!(v.is_number() || v.is_bool()))
      throw InvalidArgument("to_array: expected numbers or bools, got " + describe(v));
    if constexpr (std::is_same_v<T, bool>) {
      *out++ = v.is_bool() ? v.as_bool() : v.as_double() != 0.0;
    } else if constexpr (std::is_floating_point_v<T>) {
      *out++ = static_cast<T>(v.is_bool() ? (v.as_bool() ? 1.0 : 0.0) : v.as_double());
    } else {
      const Array one = Array::scalar(v.is_bool() ? std::int64_t{v.as_bool()} : v.as_int());
      *out++ = one.astype(dtype_of<T>()).template item<T>();
    }
    return;
  }
  if (!v.is_list() || static_cast<std::int64_t>(v.as_list().size()) != shape[dim])
    throw InvalidArgument("to_array: expected a rectangular list of shape " + shape_str(shape) + ", got " +
                          (v.is_list() ? "a list of " + std::to_string(v.as_list().size()) : describe(v)) +
                          " at depth " + std::to_string(dim));
  for (const Value& x : v.as_list()) fill(x, shape, dim + 1, out);
}

}  // namespace

Value parse_json(std::string_view text) {
  return Parser(text).document();
}

Array to_array(const Value& v, DType dtype) {
  if (v.is_array()) return v.as_array().astype(dtype);
  Shape shape;
  infer_shape(v, shape, 0);
  Array out(dtype, shape);
  detail::dispatch(dtype, [&](auto tag) {
    using T = decltype(tag);
    T* p = out.data<T>();
    fill(v, shape, 0, p);
  });
  return out;
}

}  // namespace a2w::env
