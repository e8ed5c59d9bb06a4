#pragma once
// A small command-line parser for the `a2w` verbs: `--name value`, `--name=value`, `--flag`, positionals,
// and `--help`. Unknown options and missing values are usage errors that name what was expected.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "a2w/env/error.h"

namespace a2w::cli {

class UsageError : public a2w::InvalidArgument {
 public:
  using a2w::InvalidArgument::InvalidArgument;
};

class Command {
 public:
  Command(std::string usage, std::string summary) : usage_(std::move(usage)), summary_(std::move(summary)) {}

  // An option taking a value; `fallback` is shown in --help and returned when absent (empty: required
  // only if `required`).
  Command& option(std::string name, std::string metavar, std::string help, std::string fallback = "",
                  bool required = false);
  Command& flag(std::string name, std::string help);
  Command& positional(std::string name, std::string help, bool required = true);

  // Parses argv[first..]; returns false when --help was asked (help already printed).
  bool parse(const std::vector<std::string>& args);

  std::string help() const;
  std::string get(const std::string& name) const;
  bool has(const std::string& name) const;  // given on the command line (or has a fallback)
  bool flag_set(const std::string& name) const;
  long long get_int(const std::string& name, long long lo, long long hi) const;
  double get_double(const std::string& name) const;
  unsigned long long get_u64(const std::string& name) const;

 private:
  struct Opt {
    std::string name, metavar, help, fallback;
    bool required = false, is_flag = false;
  };
  std::string usage_, summary_;
  std::vector<Opt> opts_;
  std::vector<Opt> positionals_;
  std::map<std::string, std::string> values_;
  std::map<std::string, bool> flags_;
};

}  // namespace a2w::cli
