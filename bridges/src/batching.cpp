#include "batching.h"

#include <cstring>

namespace a2w::bridge::detail {

using env::Array;
using env::Dict;
using env::Value;

std::int64_t batch_rows(const Dict& obs) {
  for (const auto& [k, v] : obs) {
    if (v.is_array() && v.as_array().ndim() > 0) return v.as_array().dim(0);
    if (v.is_list()) return static_cast<std::int64_t>(v.as_list().size());
    if (v.is_dict()) {
      const std::int64_t n = batch_rows(v.as_dict());
      if (n >= 0) return n;
    }
  }
  return -1;
}

void check_rows(const Dict& obs, std::int64_t rows, const std::string& path) {
  for (const auto& [k, v] : obs) {
    const std::string key = path.empty() ? k : path + "/" + k;
    if (v.is_array()) {
      const Array& a = v.as_array();
      if (a.ndim() == 0 || a.dim(0) != rows)
        throw InvalidArgument("observation " + key + ": expected a batch of " + std::to_string(rows) +
                              " rows (header batch), got " + env::describe(a));
    } else if (v.is_list()) {
      if (static_cast<std::int64_t>(v.as_list().size()) != rows)
        throw InvalidArgument("observation " + key + ": expected a list of " + std::to_string(rows) +
                              " entries (header batch), got " + std::to_string(v.as_list().size()));
    } else if (v.is_dict()) {
      check_rows(v.as_dict(), rows, key);
    } else {
      throw InvalidArgument("observation " + key + ": expected an array or a list of " +
                            std::to_string(rows) + " entries in a batch, got " + env::describe(v));
    }
  }
}

Dict as_batch_of_one(const Dict& obs) {
  Dict out;
  for (const auto& [k, v] : obs) {
    if (v.is_array()) {
      env::Shape s = v.as_array().shape();
      s.insert(s.begin(), 1);
      out[k] = v.as_array().reshape(s);
    } else if (v.is_dict()) {
      out[k] = as_batch_of_one(v.as_dict());
    } else if (v.is_bool()) {
      out[k] = Array::from(std::vector<bool>{v.as_bool()}, {1});
    } else if (v.is_int()) {
      out[k] = Array::from(std::vector<std::int64_t>{v.as_int()}, {1});
    } else if (v.is_double()) {
      out[k] = Array::from(std::vector<double>{v.as_double()}, {1});
    } else {
      out[k] = env::List{v};  // text (or a list) of one row
    }
  }
  return out;
}

std::string signature(const Dict& obs) {
  // Built with append: GCC 12 warns falsely (-Wrestrict) about chains of string operator+.
  std::string s;
  for (const auto& [k, v] : obs) {
    s.append(k);
    if (v.is_array()) {
      const Array& a = v.as_array();
      s.append(":").append(env::dtype_name(a.dtype()));
      for (int d = 1; d < a.ndim(); ++d)
        s.append(",").append(std::to_string(a.shape()[static_cast<std::size_t>(d)]));
    } else if (v.is_dict()) {
      s.append("{").append(signature(v.as_dict())).append("}");
    } else {
      s.append(":").append(v.kind());
    }
    s.append(";");
  }
  return s;
}

namespace {

Value concat_values(const std::vector<const Value*>& parts) {
  const Value& first = *parts.front();
  if (first.is_array()) {
    const Array& a0 = first.as_array();
    env::Shape shape = a0.shape();
    std::int64_t rows = 0;
    for (const Value* p : parts) rows += p->as_array().dim(0);
    shape[0] = rows;
    Array out(a0.dtype(), shape);
    auto* dst = static_cast<std::byte*>(out.raw());
    for (const Value* p : parts) {
      const auto bytes = p->as_array().bytes();
      if (!bytes.empty()) std::memcpy(dst, bytes.data(), bytes.size());
      dst += bytes.size();
    }
    return out;
  }
  if (first.is_list()) {
    env::List out;
    for (const Value* p : parts) out.insert(out.end(), p->as_list().begin(), p->as_list().end());
    return out;
  }
  if (first.is_dict()) {
    std::vector<const Dict*> dicts;
    for (const Value* p : parts) dicts.push_back(&p->as_dict());
    return concat(dicts);
  }
  return first;
}

}  // namespace

Dict concat(const std::vector<const Dict*>& parts) {
  if (parts.size() == 1) return *parts.front();
  Dict out;
  for (const auto& [k, v] : *parts.front()) {
    std::vector<const Value*> values;
    for (const Dict* d : parts) values.push_back(&d->at(k));
    out[k] = concat_values(values);
  }
  return out;
}

}  // namespace a2w::bridge::detail
