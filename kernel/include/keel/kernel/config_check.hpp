// Kernel config checker: does a kernel's build config have what Keel needs?
// Rules live in kernel/config-rules.toml (grouped by what needs them); the config
// is the kernel's own .config as Debian ships it (/boot/config-<kver>, or
// /usr/lib/modules/<kver>/config on a Keel host). See kernel/README.md.
#pragma once

#include <compare>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "keel/common/error.hpp"

namespace keel::kernel {

struct KernelVersion {
  int major = 0;
  int minor = 0;
  int patch = 0;
  auto operator<=>(const KernelVersion&) const = default;
  std::string str() const;
};

// "6.1", "6.1.192", "6.1.0-56-cloud-amd64" (anything after the numbers is ignored).
std::optional<KernelVersion> parse_kernel_version(std::string_view text);

// A parsed kernel config: option → value ("y", "m", "\"string\"", "123").
// Options set to "is not set" are absent.
struct KernelConfig {
  std::optional<KernelVersion> version;  // from "# Linux/x86 6.1.0 Kernel Configuration"
  std::map<std::string, std::string, std::less<>> options;
};

KernelConfig parse_kernel_config(std::string_view text);
Result<KernelConfig> load_kernel_config(const std::string& path);

struct Rule {
  std::string option;
  std::string group;
  std::string reason;
  bool required = true;
  bool allow_builtin = true;  // "y"
  bool allow_module = false;  // "m"
  std::optional<KernelVersion> min_kernel;
  std::string where;  // "kernel/config-rules.toml:42"
};

// Parses rules; errors carry "file:line:col". `path` is used in messages only.
Result<std::vector<Rule>> parse_rules(std::string_view text, const std::string& path);
Result<std::vector<Rule>> load_rules(const std::string& path);
// The rules compiled in from kernel/config-rules.toml.
Result<std::vector<Rule>> default_rules();

enum class Outcome { ok, missing, wrong_value, not_applicable };

struct Finding {
  const Rule* rule = nullptr;
  Outcome outcome = Outcome::ok;
  std::string value;    // the config's value, empty if not set
  std::string message;  // for missing / wrong_value / not_applicable
  bool is_failure() const {
    return rule->required && (outcome == Outcome::missing || outcome == Outcome::wrong_value);
  }
  bool is_warning() const {
    return !rule->required && (outcome == Outcome::missing || outcome == Outcome::wrong_value);
  }
};

struct Report {
  std::optional<KernelVersion> version;
  std::vector<Finding> findings;
  int failures() const;
  int warnings() const;
};

// Rules whose min_kernel is above the config's version do not apply. A config with
// no version header is checked against every rule.
Report check_config(const KernelConfig& config, const std::vector<Rule>& rules);

}  // namespace keel::kernel
