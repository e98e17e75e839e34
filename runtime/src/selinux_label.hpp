// SELinux labels of a container (runtime-spec "config.md#linux-process"
// selinuxLabel and "config-linux.md#mount-label"), through libselinux. As in runc,
// labels are applied only when the host has SELinux enabled; a Keel host always
// has (selinux-policy/), a build machine usually not.
#pragma once

#include <string>

#include "child.hpp"
#include "keel/common/error.hpp"

namespace keel::runtime {

// Whether the kernel has SELinux enabled (selinuxfs mounted), asked once.
bool selinux_enabled();

// The mount data with the SELinux context option added for `label`, or `data`
// unchanged when the label is empty (go-selinux FormatMountLabel's format).
std::string data_with_mount_label(const std::string& data, const std::string& label);

// Whether mounts of filesystem `type` take a context= option: not binds, and not
// proc, sysfs, cgroup and mqueue, whose labels come from the policy (genfscon).
bool takes_mount_label(const std::string& type, bool bind);

// Parent side: fills plan.exec_label and labels plan.mounts with `mount_label`
// when SELinux is enabled. Refuses a label the loaded policy does not know.
Result<void> plan_selinux_labels(const std::string& process_label, const std::string& mount_label,
                                 ChildPlan& plan);

// Child side, last step before execve: the exec label for the container's process.
ChildErr child_set_exec_label(const ChildPlan& plan);

}  // namespace keel::runtime
