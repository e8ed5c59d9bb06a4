#pragma once
// Body: the payload of one bridge message, a map of named values whose keys keep their order on the wire.
//
// An a2w Dict sorts its keys; Python dicts and OpenPI peers keep insertion order. A Body keeps the order in
// which keys were added (or decoded), so a body decoded from a Python peer re-encodes byte for byte, and the
// golden vector of docs/bridge-protocol.md ({"state": ..., "prompt": "hi"}, state first) can be written.
// Nested maps are env::Dicts and encode in sorted key order.
//
//   Body b{{"state", env::Array::from({1.0f, 2.0f})}, {"prompt", "hi"}};
//   std::string bytes = encode(b);          // codec.h
//   const env::Array& s = b.at("state").as_array();

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "a2w/env/value.h"

namespace a2w::bridge {

class Body {
 public:
  using Entry = std::pair<std::string, env::Value>;

  Body() = default;
  Body(std::initializer_list<Entry> entries);
  // Keys in the Dict's (sorted) order.
  explicit Body(const env::Dict& dict);

  // Appends `key`, or replaces its value where it already is (its position is kept).
  Body& set(std::string key, env::Value value);
  bool has(std::string_view key) const { return find(key) != nullptr; }
  // Null when absent.
  const env::Value* find(std::string_view key) const;
  env::Value* find(std::string_view key);
  // Throws NotFound naming the key and the keys present.
  const env::Value& at(std::string_view key) const;

  const std::vector<Entry>& entries() const { return entries_; }
  std::size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }

  // The same values as a Dict (arrays are shared, not copied).
  env::Dict to_dict() const;

 private:
  std::vector<Entry> entries_;
};

}  // namespace a2w::bridge
