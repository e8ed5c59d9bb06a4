#include "args.h"

#include <cerrno>
#include <cstdlib>
#include <iostream>
#include <sstream>

namespace a2w::cli {

Command& Command::option(std::string name, std::string metavar, std::string help, std::string fallback,
                         bool required) {
  opts_.push_back({std::move(name), std::move(metavar), std::move(help), std::move(fallback), required, false});
  return *this;
}

Command& Command::flag(std::string name, std::string help) {
  opts_.push_back({std::move(name), "", std::move(help), "", false, true});
  return *this;
}

Command& Command::positional(std::string name, std::string help, bool required) {
  positionals_.push_back({std::move(name), "", std::move(help), "", required, false});
  return *this;
}

bool Command::parse(const std::vector<std::string>& args) {
  std::size_t next_positional = 0;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      std::cout << help();
      return false;
    }
    if (a.rfind("--", 0) == 0 && a.size() > 2) {
      std::string name = a.substr(2), value;
      bool inline_value = false;
      if (auto eq = name.find('='); eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
        inline_value = true;
      }
      const Opt* opt = nullptr;
      for (const auto& o : opts_)
        if (o.name == name) opt = &o;
      if (!opt) {
        std::string known;
        for (const auto& o : opts_) known += " --" + o.name;
        throw UsageError("unknown option --" + name + " for '" + usage_ + "'; expected one of:" + known);
      }
      if (opt->is_flag) {
        if (inline_value) throw UsageError("option --" + name + " takes no value, got '" + value + "'");
        flags_[name] = true;
        continue;
      }
      if (!inline_value) {
        if (i + 1 >= args.size())
          throw UsageError("option --" + name + " expects a value (" + opt->metavar + "), got nothing");
        value = args[++i];
      }
      values_[name] = value;
      continue;
    }
    if (next_positional >= positionals_.size())
      throw UsageError("unexpected argument '" + a + "' for '" + usage_ + "'");
    values_[positionals_[next_positional++].name] = a;
  }
  for (const auto& p : positionals_)
    if (p.required && !values_.count(p.name))
      throw UsageError("missing argument " + p.name + " for '" + usage_ + "'");
  for (const auto& o : opts_)
    if (o.required && !values_.count(o.name))
      throw UsageError("missing option --" + o.name + " (" + o.metavar + ") for '" + usage_ + "'");
  return true;
}

std::string Command::help() const {
  std::ostringstream out;
  out << "usage: a2w " << usage_ << "\n\n" << summary_ << "\n";
  if (!positionals_.empty()) {
    out << "\narguments:\n";
    for (const auto& p : positionals_) out << "  " << p.name << "\n      " << p.help << "\n";
  }
  out << "\noptions:\n";
  for (const auto& o : opts_) {
    out << "  --" << o.name;
    if (!o.is_flag) out << " " << o.metavar;
    out << "\n      " << o.help;
    if (!o.fallback.empty()) out << " (default: " << o.fallback << ")";
    if (o.required) out << " (required)";
    out << "\n";
  }
  out << "  --help\n      show this message\n";
  return out.str();
}

std::string Command::get(const std::string& name) const {
  if (auto it = values_.find(name); it != values_.end()) return it->second;
  for (const auto& o : opts_)
    if (o.name == name) return o.fallback;
  for (const auto& p : positionals_)
    if (p.name == name) return "";
  throw UsageError("internal: option --" + name + " was never declared");
}

bool Command::has(const std::string& name) const { return values_.count(name) || !get(name).empty(); }

bool Command::flag_set(const std::string& name) const { return flags_.count(name) > 0; }

long long Command::get_int(const std::string& name, long long lo, long long hi) const {
  const std::string s = get(name);
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0' || errno == ERANGE)
    throw UsageError("--" + name + " expects an integer, got '" + s + "'");
  if (v < lo || v > hi)
    throw UsageError("--" + name + " expects an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) +
                     "], got " + s);
  return v;
}

unsigned long long Command::get_u64(const std::string& name) const {
  const std::string s = get(name);
  char* end = nullptr;
  errno = 0;
  const unsigned long long v = std::strtoull(s.c_str(), &end, 10);
  if (s.empty() || s[0] == '-' || *end != '\0' || errno == ERANGE)
    throw UsageError("--" + name + " expects a non-negative integer, got '" + s + "'");
  return v;
}

double Command::get_double(const std::string& name) const {
  const std::string s = get(name);
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (s.empty() || *end != '\0' || v != v)
    throw UsageError("--" + name + " expects a number, got '" + s + "'");
  return v;
}

}  // namespace a2w::cli
