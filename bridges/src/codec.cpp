#include "a2w/bridge/codec.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <msgpack/object.hpp>
#include <msgpack/pack.hpp>
#include <msgpack/unpack.hpp>
#include <vector>

#include "wire.h"

namespace a2w::bridge {

namespace {

using env::Array;
using env::DType;
using env::Value;

// ---- dtypes on the wire ----

// The whitelist: exactly the numpy spellings of a2w's dtypes (little-endian, as every peer we talk to).
bool wire_dtype(std::string_view s, DType& out) {
  static constexpr std::pair<std::string_view, DType> kTable[] = {
      {"|b1", DType::kBool},  {"|u1", DType::kUInt8},   {"<i4", DType::kInt32},
      {"<i8", DType::kInt64}, {"<f4", DType::kFloat32}, {"<f8", DType::kFloat64}};
  for (const auto& [name, d] : kTable)
    if (name == s) {
      out = d;
      return true;
    }
  return false;
}

constexpr const char* kDtypeList = "|b1, |u1, <i4, <i8, <f4, <f8";

std::string printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 40)) out += (c >= 32 && c < 127) ? c : '?';
  if (s.size() > 40) out += "...";
  return out;
}

// ---- structural scan: every declared length against the bytes that follow, before any allocation ----

class Scanner {
 public:
  Scanner(std::string_view bytes, const DecodeLimits& limits)
      : p_(reinterpret_cast<const std::uint8_t*>(bytes.data())), n_(bytes.size()), limits_(limits) {}

  void run() {
    std::vector<std::uint64_t> left;  // values still expected at each open level; [0] is the root
    left.reserve(limits_.max_depth + 1);
    left.push_back(1);
    std::uint64_t values = 0;
    while (!left.empty()) {
      if (left.back() == 0) {
        left.pop_back();
        continue;
      }
      --left.back();
      if (off_ >= n_)
        fail("truncated: expected a value at byte " + std::to_string(off_) + ", the message ends");
      if (++values > limits_.max_values)
        fail("more than " + std::to_string(limits_.max_values) + " values in one message");
      const std::size_t at = off_;
      const std::uint8_t t = p_[off_++];
      if (t <= 0x7f || t >= 0xe0 || t == 0xc0 || t == 0xc2 || t == 0xc3) continue;
      if (t >= 0xa0 && t <= 0xbf) {
        str(t & 0x1f, at);
        continue;
      }
      if (t >= 0x90 && t <= 0x9f) {
        container(t & 0x0f, 1, left, at);
        continue;
      }
      if (t >= 0x80 && t <= 0x8f) {
        container(t & 0x0f, 2, left, at);
        continue;
      }
      switch (t) {
        case 0xc1:
          fail("byte " + std::to_string(at) + ": 0xc1 is not a msgpack type");
        case 0xc4:
        case 0xc5:
        case 0xc6: {
          const std::uint64_t len = length(t == 0xc4 ? 1 : t == 0xc5 ? 2 : 4, at);
          skip(len, at, "bin");
          break;
        }
        case 0xc7:
        case 0xc8:
        case 0xc9:
        case 0xd4:
        case 0xd5:
        case 0xd6:
        case 0xd7:
        case 0xd8:
          fail("byte " + std::to_string(at) + ": msgpack ext types are not accepted");
        case 0xca:
        case 0xce:
        case 0xd2:
          skip(4, at, "number");
          break;
        case 0xcb:
        case 0xcf:
        case 0xd3:
          skip(8, at, "number");
          break;
        case 0xcc:
        case 0xd0:
          skip(1, at, "number");
          break;
        case 0xcd:
        case 0xd1:
          skip(2, at, "number");
          break;
        case 0xd9:
          str(length(1, at), at);
          break;
        case 0xda:
          str(length(2, at), at);
          break;
        case 0xdb:
          str(length(4, at), at);
          break;
        case 0xdc:
          container(length(2, at), 1, left, at);
          break;
        case 0xdd:
          container(length(4, at), 1, left, at);
          break;
        case 0xde:
          container(length(2, at), 2, left, at);
          break;
        case 0xdf:
          container(length(4, at), 2, left, at);
          break;
        default:
          fail("byte " + std::to_string(at) + ": unknown msgpack type 0x" + std::to_string(t));
      }
    }
    if (off_ != n_)
      fail(std::to_string(n_ - off_) + " trailing bytes after the value that ends at byte " +
           std::to_string(off_));
  }

 private:
  [[noreturn]] static void fail(const std::string& what) {
    throw InvalidArgument("malformed message: " + what);
  }

  std::uint64_t length(int bytes, std::size_t at) {
    if (n_ - off_ < static_cast<std::size_t>(bytes))
      fail("truncated: the length field of the value at byte " + std::to_string(at) + " is cut off");
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v = (v << 8) | p_[off_++];
    return v;
  }

  void skip(std::uint64_t len, std::size_t at, const char* what) {
    if (len > n_ - off_)
      fail(std::string("truncated: the ") + what + " at byte " + std::to_string(at) + " declares " +
           std::to_string(len) + " bytes but " + std::to_string(n_ - off_) + " follow");
    off_ += static_cast<std::size_t>(len);
  }

  void str(std::uint64_t len, std::size_t at) {
    if (len > limits_.max_str_bytes)
      fail("the str at byte " + std::to_string(at) + " declares " + std::to_string(len) +
           " bytes; the limit is " + std::to_string(limits_.max_str_bytes));
    skip(len, at, "str");
  }

  void container(std::uint64_t count, std::uint64_t per, std::vector<std::uint64_t>& left, std::size_t at) {
    const char* what = per == 1 ? "array" : "map";
    if (count > limits_.max_container)
      fail(std::string("the ") + what + " at byte " + std::to_string(at) + " declares " +
           std::to_string(count) + (per == 1 ? " elements" : " entries") + "; the limit is " +
           std::to_string(limits_.max_container));
    // Every value takes at least one byte: a count the remaining bytes cannot hold is a lie.
    if (count * per > n_ - off_)
      fail(std::string("truncated: the ") + what + " at byte " + std::to_string(at) + " declares " +
           std::to_string(count) + (per == 1 ? " elements" : " entries") + " but only " +
           std::to_string(n_ - off_) + " bytes follow");
    if (left.size() > limits_.max_depth)
      fail("nesting deeper than " + std::to_string(limits_.max_depth) + " levels at byte " +
           std::to_string(at));
    left.push_back(count * per);
  }

  const std::uint8_t* p_;
  std::size_t n_;
  std::size_t off_ = 0;
  const DecodeLimits& limits_;
};

// ---- msgpack objects to Values ----

bool reference_strings_and_bins(msgpack::type::object_type type, std::size_t, void*) {
  return type == msgpack::type::STR || type == msgpack::type::BIN;
}

std::string kind_of(const msgpack::object& o) {
  switch (o.type) {
    case msgpack::type::NIL:
      return "nil";
    case msgpack::type::BOOLEAN:
      return "bool";
    case msgpack::type::POSITIVE_INTEGER:
    case msgpack::type::NEGATIVE_INTEGER:
      return "int";
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64:
      return "float";
    case msgpack::type::STR:
      return "str";
    case msgpack::type::BIN:
      return "bin";
    case msgpack::type::ARRAY:
      return "array";
    case msgpack::type::MAP:
      return "map";
    default:
      return "ext";
  }
}

std::string where(const std::string& path) {
  return path.empty() ? "message body" : path;
}

class Converter {
 public:
  Converter(std::shared_ptr<const void> keep_alive) : keep_alive_(std::move(keep_alive)) {}

  Value convert(const msgpack::object& o, const std::string& path) {
    switch (o.type) {
      case msgpack::type::NIL:
        return Value();
      case msgpack::type::BOOLEAN:
        return Value(o.via.boolean);
      case msgpack::type::POSITIVE_INTEGER:
        if (o.via.u64 > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
          throw InvalidArgument(where(path) + ": expected an integer below 2^63, got " +
                                std::to_string(o.via.u64));
        return Value(static_cast<std::int64_t>(o.via.u64));
      case msgpack::type::NEGATIVE_INTEGER:
        return Value(o.via.i64);
      case msgpack::type::FLOAT32:
      case msgpack::type::FLOAT64:
        return Value(o.via.f64);
      case msgpack::type::STR:
        return Value(std::string(o.via.str.ptr, o.via.str.size));
      case msgpack::type::BIN: {
        // A bare bytes value: a uint8 array, the closest thing a Value holds.
        Array a(DType::kUInt8, {static_cast<std::int64_t>(o.via.bin.size)});
        if (o.via.bin.size) std::memcpy(a.raw(), o.via.bin.ptr, o.via.bin.size);
        return Value(std::move(a));
      }
      case msgpack::type::ARRAY: {
        env::List list;
        list.reserve(o.via.array.size);
        for (std::uint32_t i = 0; i < o.via.array.size; ++i)
          list.push_back(convert(o.via.array.ptr[i], path + "[" + std::to_string(i) + "]"));
        return Value(std::move(list));
      }
      case msgpack::type::MAP:
        if (o.via.map.size > 0 && o.via.map.ptr[0].key.type == msgpack::type::BIN) return marker(o, path);
        return Value(dict(o, path));
      default:
        throw InvalidArgument(where(path) + ": msgpack ext types are not accepted");
    }
  }

  env::Dict dict(const msgpack::object& o, const std::string& path) {
    env::Dict d;
    for (std::uint32_t i = 0; i < o.via.map.size; ++i) {
      const auto& kv = o.via.map.ptr[i];
      if (kv.key.type != msgpack::type::STR)
        throw InvalidArgument(where(path) + ": expected str map keys, got a " + kind_of(kv.key) + " key");
      std::string key(kv.key.via.str.ptr, kv.key.via.str.size);
      const std::string sub = path.empty() ? key : path + "/" + key;
      auto [it, fresh] = d.try_emplace(key);
      if (!fresh) throw InvalidArgument(where(path) + ": duplicate key '" + printable(key) + "'");
      it->second = convert(kv.val, sub);
    }
    return d;
  }

 private:
  // A map with bin keys: an ndarray or a numpy scalar in openpi's msgpack_numpy encoding.
  Value marker(const msgpack::object& o, const std::string& path) {
    const msgpack::object* flag_nd = nullptr;
    const msgpack::object* flag_gen = nullptr;
    const msgpack::object* data = nullptr;
    const msgpack::object* dtype = nullptr;
    const msgpack::object* shape = nullptr;
    for (std::uint32_t i = 0; i < o.via.map.size; ++i) {
      const auto& kv = o.via.map.ptr[i];
      if (kv.key.type != msgpack::type::BIN)
        throw InvalidArgument(where(path) +
                              ": a map with bin keys (an __ndarray__) must have only bin keys, got a " +
                              kind_of(kv.key) + " key");
      const std::string_view k(kv.key.via.bin.ptr, kv.key.via.bin.size);
      const msgpack::object** slot = k == "__ndarray__"     ? &flag_nd
                                     : k == "__npgeneric__" ? &flag_gen
                                     : k == "data"          ? &data
                                     : k == "dtype"         ? &dtype
                                     : k == "shape"         ? &shape
                                                            : nullptr;
      if (!slot)
        throw InvalidArgument(where(path) + ": unexpected key b'" + printable(k) +
                              "' in an __ndarray__ map; expected __ndarray__, data, dtype, shape");
      if (*slot) throw InvalidArgument(where(path) + ": duplicate key b'" + std::string(k) + "'");
      *slot = &kv.val;
    }
    const bool nd = flag_nd != nullptr;
    const msgpack::object* flag = nd ? flag_nd : flag_gen;
    if (!flag || (flag_nd && flag_gen))
      throw InvalidArgument(where(path) + ": a map with bin keys must be an __ndarray__ or an __npgeneric__");
    const char* name = nd ? "__ndarray__" : "__npgeneric__";
    if (flag->type != msgpack::type::BOOLEAN || !flag->via.boolean)
      throw InvalidArgument(where(path) + ": " + name + ": expected true, got " + kind_of(*flag));
    if (!dtype || dtype->type != msgpack::type::STR)
      throw InvalidArgument(where(path) + ": " + name + ": expected a str dtype, got " +
                            (dtype ? kind_of(*dtype) : std::string("none")));
    const std::string_view dstr(dtype->via.str.ptr, dtype->via.str.size);
    DType d{};
    if (!wire_dtype(dstr, d))
      throw InvalidArgument(where(path) + ": " + name + " dtype: expected one of " + kDtypeList + ", got '" +
                            printable(dstr) + "'");
    if (!data) throw InvalidArgument(where(path) + ": " + name + ": missing data");
    return nd ? ndarray(*data, d, shape, path) : npgeneric(*data, d, shape, path);
  }

  Value ndarray(const msgpack::object& data, DType d, const msgpack::object* shape, const std::string& path) {
    if (data.type != msgpack::type::BIN)
      throw InvalidArgument(where(path) + ": __ndarray__ data: expected bin, got " + kind_of(data));
    if (!shape || shape->type != msgpack::type::ARRAY)
      throw InvalidArgument(where(path) + ": __ndarray__ shape: expected an array of sizes, got " +
                            (shape ? kind_of(*shape) : std::string("none")));
    env::Shape dims;
    std::uint64_t numel = 1;
    std::string shape_text = "[";
    bool overflow = false;
    for (std::uint32_t i = 0; i < shape->via.array.size; ++i) {
      const auto& e = shape->via.array.ptr[i];
      if (e.type != msgpack::type::POSITIVE_INTEGER)
        throw InvalidArgument(
            where(path) + ": __ndarray__ shape: expected non-negative integers, got " +
            (e.type == msgpack::type::NEGATIVE_INTEGER ? "a negative integer" : kind_of(e)));
      shape_text += (i ? ", " : "") + std::to_string(e.via.u64);
      overflow = overflow || e.via.u64 > (std::uint64_t{1} << 48) ||
                 __builtin_mul_overflow(numel, e.via.u64, &numel);
      dims.push_back(static_cast<std::int64_t>(e.via.u64 & ((std::uint64_t{1} << 62) - 1)));
    }
    shape_text += "]";
    std::uint64_t nbytes = 0;
    overflow = overflow || numel > (std::uint64_t{1} << 48) ||
               __builtin_mul_overflow(numel, env::itemsize(d), &nbytes);
    if (overflow)
      throw InvalidArgument(where(path) + ": __ndarray__ shape " + shape_text + " of " +
                            std::string(env::numpy_dtype(d)) + " overflows; expected " +
                            std::to_string(data.via.bin.size) + " bytes of data to match");
    if (nbytes != data.via.bin.size)
      throw InvalidArgument(where(path) + ": __ndarray__ of shape " + shape_text + " and dtype " +
                            std::string(env::numpy_dtype(d)) + " needs " + std::to_string(nbytes) +
                            " bytes of data, got " + std::to_string(data.via.bin.size));
    const char* src = data.via.bin.ptr;
    const std::size_t size = data.via.bin.size;
    if (d == DType::kBool) {
      // numpy reads any nonzero byte as true; a C++ bool must hold 0 or 1.
      Array a(d, dims);
      auto* out = static_cast<std::uint8_t*>(a.raw());
      for (std::size_t i = 0; i < size; ++i) out[i] = src[i] != 0;
      return Value(std::move(a));
    }
    if (keep_alive_ && reinterpret_cast<std::uintptr_t>(src) % env::itemsize(d) == 0)
      return Value(Array::wrap(const_cast<char*>(src), d, std::move(dims),
                               std::const_pointer_cast<void>(keep_alive_)));
    Array a(d, dims);
    if (size) std::memcpy(a.raw(), src, size);
    return Value(std::move(a));
  }

  Value npgeneric(const msgpack::object& data, DType d, const msgpack::object* shape,
                  const std::string& path) {
    if (shape) throw InvalidArgument(where(path) + ": __npgeneric__ has no shape; got one");
    const bool is_int =
        data.type == msgpack::type::POSITIVE_INTEGER || data.type == msgpack::type::NEGATIVE_INTEGER;
    const bool is_float = data.type == msgpack::type::FLOAT32 || data.type == msgpack::type::FLOAT64;
    const bool is_bool = data.type == msgpack::type::BOOLEAN;
    const bool int_dtype = d == DType::kUInt8 || d == DType::kInt32 || d == DType::kInt64;
    if (!(is_int || is_float || is_bool) || (int_dtype && !is_int))
      throw InvalidArgument(where(path) + ": __npgeneric__ of dtype " + std::string(env::numpy_dtype(d)) +
                            ": expected " + (int_dtype ? "integer" : "number or bool") + " data, got " +
                            kind_of(data));
    const std::int64_t iv = data.type == msgpack::type::POSITIVE_INTEGER
                                ? static_cast<std::int64_t>(data.via.u64)
                            : data.type == msgpack::type::NEGATIVE_INTEGER ? data.via.i64
                                                                           : 0;
    const double x = is_bool  ? (data.via.boolean ? 1.0 : 0.0)
                     : is_int ? static_cast<double>(iv)
                              : data.via.f64;
    Array a(d, {});
    switch (d) {
      case DType::kBool:
        *a.data<bool>() = x != 0;
        break;
      case DType::kUInt8:
        *a.data<std::uint8_t>() = static_cast<std::uint8_t>(iv);
        break;
      case DType::kInt32:
        *a.data<std::int32_t>() = static_cast<std::int32_t>(iv);
        break;
      case DType::kInt64:
        *a.data<std::int64_t>() = iv;
        break;
      case DType::kFloat32:
        *a.data<float>() = static_cast<float>(x);
        break;
      case DType::kFloat64:
        *a.data<double>() = x;
        break;
    }
    return Value(std::move(a));
  }

  std::shared_ptr<const void> keep_alive_;
};

msgpack::object_handle unpack_checked(std::string_view bytes, const DecodeLimits& limits) {
  if (bytes.size() > limits.max_message_bytes)
    throw InvalidArgument("message of " + std::to_string(bytes.size()) + " bytes; the limit is " +
                          std::to_string(limits.max_message_bytes));
  if (bytes.empty()) throw InvalidArgument("malformed message: expected a msgpack value, got 0 bytes");
  Scanner(bytes, limits).run();
  // The scan has checked every length; msgpack-c still gets explicit limits (its defaults are 4 GiB each).
  const msgpack::unpack_limit limit(limits.max_container, limits.max_container, limits.max_str_bytes,
                                    limits.max_message_bytes, /*ext=*/0, limits.max_depth + 2);
  std::size_t off = 0;
  try {
    return msgpack::unpack(bytes.data(), bytes.size(), off, reference_strings_and_bins, nullptr, limit);
  } catch (const msgpack::unpack_error& e) {
    throw InvalidArgument(std::string("malformed message: ") + e.what());
  }
}

// ---- encoding ----

using Packer = msgpack::packer<msgpack::sbuffer>;

// Templates over the packer's buffer: an sbuffer (ZeroMQ messages) or a std::string (encode()).
template <typename P>
void pack_key(P& pk, std::string_view k) {
  pk.pack_bin(static_cast<std::uint32_t>(k.size()));
  pk.pack_bin_body(k.data(), static_cast<std::uint32_t>(k.size()));
}

template <typename P>
void pack_str(P& pk, std::string_view s) {
  pk.pack_str(static_cast<std::uint32_t>(s.size()));
  pk.pack_str_body(s.data(), static_cast<std::uint32_t>(s.size()));
}

// Always float64 (0xcb), as Python and openpi write every float. msgpack-c 4's pack_double would write an
// integral double (a reward of 0.0) as an integer, which a Python peer then reads as an int.
template <typename P>
void pack_float64(P& pk, double d) {
  std::uint64_t bits = 0;
  std::memcpy(&bits, &d, sizeof bits);
  char out[9];
  out[0] = static_cast<char>(0xcb);
  for (int i = 0; i < 8; ++i) out[1 + i] = static_cast<char>((bits >> (56 - 8 * i)) & 0xff);
  pk.pack_bin_body(out, 9);  // appends raw bytes (the header is already in `out`)
}

template <typename P>
void pack_value(P& pk, const Value& v);

template <typename P>
void pack_array(P& pk, const Array& a) {
  pk.pack_map(4);
  pack_key(pk, "__ndarray__");
  pk.pack_true();
  pack_key(pk, "data");
  const auto bytes = a.valid() ? a.bytes() : std::span<const std::byte>{};
  pk.pack_bin(static_cast<std::uint32_t>(bytes.size()));
  pk.pack_bin_body(reinterpret_cast<const char*>(bytes.data()), static_cast<std::uint32_t>(bytes.size()));
  pack_key(pk, "dtype");
  pack_str(pk, env::numpy_dtype(a.dtype()));
  pack_key(pk, "shape");
  pk.pack_array(static_cast<std::uint32_t>(a.ndim()));
  for (auto d : a.shape()) pk.pack_uint64(static_cast<std::uint64_t>(d));
}

template <typename P>
void pack_value(P& pk, const Value& v) {
  if (v.is_none()) {
    pk.pack_nil();
  } else if (v.is_bool()) {
    v.as_bool() ? pk.pack_true() : pk.pack_false();
  } else if (v.is_int()) {
    pk.pack_int64(v.as_int());
  } else if (v.is_double()) {
    pack_float64(pk, v.as_double());
  } else if (v.is_string()) {
    pack_str(pk, v.as_string());
  } else if (v.is_array()) {
    pack_array(pk, v.as_array());
  } else if (v.is_list()) {
    const auto& l = v.as_list();
    pk.pack_array(static_cast<std::uint32_t>(l.size()));
    for (const auto& e : l) pack_value(pk, e);
  } else {
    const auto& d = v.as_dict();
    pk.pack_map(static_cast<std::uint32_t>(d.size()));
    for (const auto& [k, e] : d) {
      pack_str(pk, k);
      pack_value(pk, e);
    }
  }
}

std::size_t value_bound(const Value& v) {
  if (v.is_string()) return v.as_string().size() + 5;
  if (v.is_array()) return v.as_array().nbytes() + 48 + 9 * static_cast<std::size_t>(v.as_array().ndim());
  if (v.is_list()) {
    std::size_t n = 5;
    for (const auto& e : v.as_list()) n += value_bound(e);
    return n;
  }
  if (v.is_dict()) {
    std::size_t n = 5;
    for (const auto& [k, e] : v.as_dict()) n += k.size() + 5 + value_bound(e);
    return n;
  }
  return 9;
}

}  // namespace

namespace wire {

void encode_into(const Body& body, msgpack::sbuffer& out) {
  Packer pk(out);
  pk.pack_map(static_cast<std::uint32_t>(body.size()));
  for (const auto& [k, v] : body.entries()) {
    pack_str(pk, k);
    pack_value(pk, v);
  }
}

void encode_into(const Value& value, msgpack::sbuffer& out) {
  Packer pk(out);
  pack_value(pk, value);
}

std::size_t size_bound(const Body& body) {
  std::size_t n = 5;
  for (const auto& [k, v] : body.entries()) n += k.size() + 5 + value_bound(v);
  return n;
}

zmq::message_t to_message(msgpack::sbuffer&& buffer) {
  const std::size_t size = buffer.size();
  char* data = buffer.release();
  if (!data) return zmq::message_t();
  return zmq::message_t(
      data, size, [](void* p, void*) { std::free(p); }, nullptr);
}

zmq::message_t encode_message(const Body& body) {
  msgpack::sbuffer buf(size_bound(body));
  encode_into(body, buf);
  return to_message(std::move(buf));
}

zmq::message_t encode_message(const Body& body, msgpack::sbuffer& scratch) {
  scratch.clear();
  encode_into(body, scratch);
  return zmq::message_t(scratch.data(), scratch.size());
}

}  // namespace wire

std::string encode(const Body& body) {
  std::string out;
  out.reserve(wire::size_bound(body));
  // Packs straight into the string: one buffer, no second copy.
  struct Writer {
    std::string& s;
    void write(const char* p, std::size_t n) { s.append(p, n); }
  } w{out};
  msgpack::packer<Writer> pk(w);
  pk.pack_map(static_cast<std::uint32_t>(body.size()));
  for (const auto& [k, v] : body.entries()) {
    pack_str(pk, k);
    pack_value(pk, v);
  }
  return out;
}

std::string encode(const Value& value) {
  std::string out;
  out.reserve(value_bound(value));
  struct Writer {
    std::string& s;
    void write(const char* p, std::size_t n) { s.append(p, n); }
  } w{out};
  msgpack::packer<Writer> pk(w);
  pack_value(pk, value);
  return out;
}

Body decode(std::string_view bytes, const DecodeLimits& limits, std::shared_ptr<const void> keep_alive) {
  const auto handle = unpack_checked(bytes, limits);
  const msgpack::object& o = handle.get();
  if (o.type != msgpack::type::MAP)
    throw InvalidArgument("message body: expected a map with str keys, got " + kind_of(o));
  Converter c(std::move(keep_alive));
  Body body;
  for (std::uint32_t i = 0; i < o.via.map.size; ++i) {
    const auto& kv = o.via.map.ptr[i];
    if (kv.key.type != msgpack::type::STR)
      throw InvalidArgument("message body: expected str keys at the top level, got a " + kind_of(kv.key) +
                            " key");
    std::string key(kv.key.via.str.ptr, kv.key.via.str.size);
    if (body.has(key)) throw InvalidArgument("message body: duplicate key '" + printable(key) + "'");
    Value v = c.convert(kv.val, key);
    body.set(std::move(key), std::move(v));
  }
  return body;
}

Value decode_value(std::string_view bytes, const DecodeLimits& limits,
                   std::shared_ptr<const void> keep_alive) {
  const auto handle = unpack_checked(bytes, limits);
  return Converter(std::move(keep_alive)).convert(handle.get(), "");
}

}  // namespace a2w::bridge
