// Process attributes other than identity and capabilities: rlimits, oom_score_adj,
// sysctls (runtime-spec "config.md#posix-process", "config-linux.md#sysctl").
#pragma once

#include <string_view>

#include "child.hpp"
#include "keel/runtime/spec.hpp"

namespace keel::runtime {

// RLIMIT_* by its spec name ("RLIMIT_NOFILE"), or an error naming it.
Result<int> rlimit_from_name(std::string_view name);

// Checks a linux.sysctl key: only sysctls that belong to one of the container's own
// namespaces may be set (the others would change the host). `ns_types` are the
// linux.namespaces types.
Result<void> check_sysctl(std::string_view key, std::string_view value,
                          const std::vector<std::string>& ns_types);

// Fills rlimits, oom_score_adj and sysctls of the plan.
Result<void> plan_process_attrs(const Spec& spec, ChildPlan& plan);

// Child side. Sysctls go before /proc/sys is made read-only (readonlyPaths).
ChildErr child_write_sysctls(const ChildPlan& plan);
ChildErr child_set_limits(const ChildPlan& plan);

}  // namespace keel::runtime
