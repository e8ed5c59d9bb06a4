#include "a2w/env/registry.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <mutex>

namespace a2w {

namespace {

struct Registry {
  std::mutex mutex;
  std::map<std::string, EnvRegistration, std::less<>> entries;
};

// A function-local static: modules register from static initialisers in other translation units, which may
// run before any namespace-scope object here is constructed.
Registry& registry() {
  static Registry r;
  return r;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  // Levenshtein distance on lower-cased characters, one row of the table at a time.
  auto lower = [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); };
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      const std::size_t substitute = diagonal + (lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1);
      row[j] = std::min({above + 1, row[j - 1] + 1, substitute});
      diagonal = above;
    }
  }
  return row[b.size()];
}

NotFound unknown_id(std::string_view id) {
  const std::vector<std::string> close = close_matches(id);
  std::string msg = "unknown env id '" + std::string(id) + "'";
  if (close.empty()) return NotFound(msg + "; no envs are registered");
  msg += "; did you mean: ";
  for (std::size_t i = 0; i < close.size(); ++i) msg += (i ? ", " : "") + close[i];
  return NotFound(msg + "?");
}

}  // namespace

void register_env(EnvRegistration registration) {
  if (registration.id.empty()) throw InvalidArgument("register_env: expected an env id, got an empty string");
  if (!registration.factory)
    throw InvalidArgument("register_env: expected a factory for '" + registration.id +
                          "', got an empty function");
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  const std::string id = registration.id;
  r.entries.insert_or_assign(id, std::move(registration));
}

env::EnvPtr make(std::string_view id, const env::Dict& options) {
  EnvFactory factory;
  {
    Registry& r = registry();
    std::lock_guard lock(r.mutex);
    auto it = r.entries.find(id);
    if (it != r.entries.end()) factory = it->second.factory;
  }
  if (!factory) throw unknown_id(id);
  // Called without the lock held: a factory may itself call make() (A2World-sim builds its physics twin).
  env::EnvPtr env = factory(options);
  if (!env) throw Error("make: expected the factory of '" + std::string(id) + "' to return an env, got null");
  return env;
}

bool is_registered(std::string_view id) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  return r.entries.find(id) != r.entries.end();
}

std::vector<std::string> registered_ids() {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  std::vector<std::string> ids;
  ids.reserve(r.entries.size());
  for (const auto& [id, reg] : r.entries) ids.push_back(id);
  return ids;
}

const EnvRegistration& registration(std::string_view id) {
  Registry& r = registry();
  {
    std::lock_guard lock(r.mutex);
    auto it = r.entries.find(id);
    if (it != r.entries.end()) return it->second;
  }
  throw unknown_id(id);
}

std::vector<std::string> close_matches(std::string_view id, std::size_t n) {
  std::vector<std::pair<std::size_t, std::string>> scored;
  for (std::string& candidate : registered_ids())
    scored.emplace_back(edit_distance(id, candidate), std::move(candidate));
  // Ties by id, so the list is the same on every run.
  std::sort(scored.begin(), scored.end());
  std::vector<std::string> out;
  for (std::size_t i = 0; i < scored.size() && i < n; ++i) out.push_back(std::move(scored[i].second));
  return out;
}

}  // namespace a2w
