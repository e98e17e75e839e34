// keel-kernel-check CONFIG [--rules FILE]: checks a kernel config against Keel's
// rules (kernel/config-rules.toml, compiled in). Exit 0: every required option is
// there; 1: some are missing; 2: the config or the rules could not be read.
#include <fmt/format.h>

#include <cstdio>
#include <string>
#include <string_view>

#include "keel/kernel/config_check.hpp"

using namespace keel::kernel;

namespace {

int usage() {
  fmt::print(stderr, "usage: keel-kernel-check CONFIG [--rules FILE] [--verbose]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_path, rules_path;
  bool verbose = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--rules" && i + 1 < argc) {
      rules_path = argv[++i];
    } else if (a == "--verbose") {
      verbose = true;
    } else if (!a.starts_with("-") && config_path.empty()) {
      config_path = a;
    } else {
      return usage();
    }
  }
  if (config_path.empty()) return usage();
  auto rules = rules_path.empty() ? default_rules() : load_rules(rules_path);
  if (!rules) {
    fmt::print(stderr, "keel-kernel-check: {}\n", rules.error().message());
    return 2;
  }
  auto config = load_kernel_config(config_path);
  if (!config) {
    fmt::print(stderr, "keel-kernel-check: {}\n", config.error().message());
    return 2;
  }
  Report report = check_config(*config, *rules);
  for (const Finding& f : report.findings) {
    if (f.is_failure()) fmt::print("error: {}\n", f.message);
    if (f.is_warning()) fmt::print("warning: {}\n", f.message);
    if (verbose && f.outcome == Outcome::ok)
      fmt::print("ok: {}={} ({})\n", f.rule->option, f.value, f.rule->group);
    if (verbose && f.outcome == Outcome::not_applicable) fmt::print("skip: {}\n", f.message);
  }
  fmt::print("{}: kernel {}: {} rules, {} errors, {} warnings\n", config_path,
             report.version ? report.version->str() : "(no version header)", rules->size(),
             report.failures(), report.warnings());
  return report.failures() > 0 ? 1 : 0;
}
