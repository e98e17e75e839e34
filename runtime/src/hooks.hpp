// OCI hooks (runtime-spec "config.md#posix-platform-hooks"): run by the runtime
// (prestart, createRuntime, poststart, poststop in the runtime namespace;
// createContainer in the container's namespaces) or by the container's init
// (startContainer, child.hpp ChildHook).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "child.hpp"
#include "keel/common/error.hpp"
#include "keel/runtime/spec.hpp"

namespace keel::runtime {

// Runs each hook in order, with `state_json` on stdin. With container_pidfd >= 0 the
// hook first joins that process's mount, uts, ipc and net namespaces (setns(2) with
// a pidfd). The first failing hook (exit status not 0, or its timeout passed) is an
// error naming the kind and the path.
Result<void> run_hooks(const std::vector<SpecHook>& hooks, std::string_view kind,
                       const std::string& state_json, int container_pidfd = -1);

// For hooks the container's init runs itself (startContainer).
std::vector<ChildHook> plan_child_hooks(const std::vector<SpecHook>& hooks);

}  // namespace keel::runtime
