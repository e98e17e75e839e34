// Checking a parsed kernel config against the rules. Messages name the option, what
// needs it and the rule's file:line, so a failed compose says what to change.
#include <fmt/format.h>

#include <algorithm>

#include "keel/kernel/config_check.hpp"

namespace keel::kernel {

namespace {

std::string allowed_text(const Rule& r) {
  if (r.allow_builtin && r.allow_module) return "built in (y) or a module (m)";
  return r.allow_builtin ? "built in (y)" : "a module (m)";
}

Finding check_rule(const KernelConfig& config, const Rule& rule) {
  Finding f{.rule = &rule};
  if (rule.min_kernel && config.version && *config.version < *rule.min_kernel) {
    f.outcome = Outcome::not_applicable;
    f.message = fmt::format("{}: rule applies from kernel {}, this is {}", rule.option,
                            rule.min_kernel->str(), config.version->str());
    return f;
  }
  auto it = config.options.find(rule.option);
  std::string_view need = rule.required ? "need" : "can use";
  if (it == config.options.end()) {
    f.outcome = Outcome::missing;
    f.message = fmt::format("{} is not set; {} {} it ({}); rule at {}", rule.option, rule.group,
                            need, rule.reason, rule.where);
    return f;
  }
  f.value = it->second;
  bool ok = (f.value == "y" && rule.allow_builtin) || (f.value == "m" && rule.allow_module);
  if (!ok) {
    f.outcome = Outcome::wrong_value;
    f.message = fmt::format("{}={} but must be {}; {} {} it ({}); rule at {}", rule.option, f.value,
                            allowed_text(rule), rule.group, need, rule.reason, rule.where);
  }
  return f;
}

}  // namespace

int Report::failures() const {
  return static_cast<int>(std::count_if(findings.begin(), findings.end(),
                                        [](const Finding& f) { return f.is_failure(); }));
}

int Report::warnings() const {
  return static_cast<int>(std::count_if(findings.begin(), findings.end(),
                                        [](const Finding& f) { return f.is_warning(); }));
}

Report check_config(const KernelConfig& config, const std::vector<Rule>& rules) {
  Report report{.version = config.version};
  for (const Rule& rule : rules) report.findings.push_back(check_rule(config, rule));
  return report;
}

}  // namespace keel::kernel
