#include "a2w/bridge/body.h"

namespace a2w::bridge {

Body::Body(std::initializer_list<Entry> entries) {
  for (const auto& [k, v] : entries) set(k, v);
}

Body::Body(const env::Dict& dict) {
  entries_.reserve(dict.size());
  for (const auto& [k, v] : dict) entries_.emplace_back(k, v);
}

Body& Body::set(std::string key, env::Value value) {
  if (env::Value* v = find(key)) {
    *v = std::move(value);
  } else {
    entries_.emplace_back(std::move(key), std::move(value));
  }
  return *this;
}

const env::Value* Body::find(std::string_view key) const {
  for (const auto& [k, v] : entries_)
    if (k == key) return &v;
  return nullptr;
}

env::Value* Body::find(std::string_view key) {
  for (auto& [k, v] : entries_)
    if (k == key) return &v;
  return nullptr;
}

const env::Value& Body::at(std::string_view key) const {
  if (const env::Value* v = find(key)) return *v;
  std::string keys;
  for (const auto& [k, v] : entries_) keys += (keys.empty() ? "" : ", ") + k;
  throw NotFound("message body: expected key '" + std::string(key) + "', the body has " +
                 (keys.empty() ? std::string("no keys") : "keys: " + keys));
}

env::Dict Body::to_dict() const {
  env::Dict d;
  for (const auto& [k, v] : entries_) d.insert_or_assign(k, v);
  return d;
}

}  // namespace a2w::bridge
