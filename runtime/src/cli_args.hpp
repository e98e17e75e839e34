// Command-line parsing in runc's shape: global flags before the command, then the
// command's flags and positionals; "--flag value", "--flag=value", short aliases.
#pragma once

#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "keel/common/error.hpp"

namespace keel::runtime::cli {

struct Option {
  std::string_view name;   // "--bundle"
  std::string_view alias;  // "-b", or empty
  bool takes_value = false;
};

struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::string> values;             // by long name; "" for flags without value
  std::vector<std::pair<std::string, std::string>> all;  // every one, in order (repeated --env)
  bool has(std::string_view name) const { return values.contains(std::string(name)); }
  std::string get(std::string_view name, std::string fallback = "") const {
    auto it = values.find(std::string(name));
    return it == values.end() ? fallback : it->second;
  }
  std::vector<std::string> get_all(std::string_view name) const {
    std::vector<std::string> out;
    for (const auto& [k, v] : all)
      if (k == name) out.push_back(v);
    return out;
  }
};

// Parses args against `options`; "--" ends the options. Unknown options are errors.
Result<Args> parse(std::span<const std::string> args, std::span<const Option> options,
                   bool stop_at_positional = false);

struct Global {
  std::string root, log, log_format = "text";
  std::string command;
  std::vector<std::string> rest;  // the command's own arguments
};

// Global flags (runc's --root, --log, --log-format, and flags accepted for
// compatibility: --debug, --systemd-cgroup, --criu, --rootless) up to the command.
Result<Global> parse_global(std::span<const std::string> args);

}  // namespace keel::runtime::cli
