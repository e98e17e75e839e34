// Mount propagation (runtime-spec "config-linux.md#rootfs-mount-propagation" and the
// propagation options of "config.md#mounts"), following runc: the container's view
// of "/" starts rslave, so host mounts still reach binds that ask for it, and
// nothing the container mounts leaks back unless the spec says shared.
#pragma once

#include <string>

#include "child.hpp"
#include "keel/common/error.hpp"

namespace keel::runtime {

// The mount point in /proc/self/mountinfo that holds `path` (absolute, resolved).
Result<std::string> mount_point_of(const std::string& path);

// Parent side: fills plan.rootfs_propagation (0: rslave) and, when it is shared,
// plan.rootfs_parent_mount, which must be made private for pivot_root(2).
Result<void> plan_rootfs_propagation(const std::string& name, ChildPlan& plan);

// Child side, before any other mount: sets the propagation of "/" in the new mount
// namespace and makes the rootfs's parent mount private when needed.
ChildErr child_root_propagation(const ChildPlan& plan);

// Child side, after pivot_root: gives "/" the requested shared/slave/unbindable
// propagation (private ones were already applied).
ChildErr child_final_root_propagation(const ChildPlan& plan);

// Child side: applies a mount's propagation options to the mount at `path`.
ChildErr child_mount_propagation(const ChildMount& m, const char* path);

}  // namespace keel::runtime
