// SELinux labels of a container (see selinux_label.hpp).
#include "selinux_label.hpp"

#include <selinux/selinux.h>

#include <cerrno>

namespace keel::runtime {

bool selinux_enabled() {
  static const bool enabled = ::is_selinux_enabled() > 0;
  return enabled;
}

std::string data_with_mount_label(const std::string& data, const std::string& label) {
  if (label.empty()) return data;
  // The context holds commas (MCS categories "s0:c1,c2"): quote it (mount(8)).
  std::string opt = "context=\"" + label + "\"";
  return data.empty() ? opt : data + "," + opt;
}

bool takes_mount_label(const std::string& type, bool bind) {
  if (bind) return false;
  for (const char* t : {"proc", "sysfs", "cgroup", "cgroup2", "mqueue"})
    if (type == t) return false;
  return true;
}

Result<void> plan_selinux_labels(const std::string& process_label, const std::string& mount_label,
                                 ChildPlan& plan) {
  if (!selinux_enabled()) return {};
  // security_check_context asks the loaded policy: a typo fails here, with the
  // field named, instead of as EINVAL from execve inside the container.
  if (!process_label.empty() && ::security_check_context(process_label.c_str()) < 0)
    return fail_msg("process.selinuxLabel: '" + process_label +
                    "' is not a valid context in the loaded policy");
  if (!mount_label.empty() && ::security_check_context(mount_label.c_str()) < 0)
    return fail_msg("linux.mountLabel: '" + mount_label +
                    "' is not a valid context in the loaded policy");
  plan.exec_label = process_label;
  for (auto& m : plan.mounts)
    if (takes_mount_label(m.type, m.bind)) m.data = data_with_mount_label(m.data, mount_label);
  return {};
}

ChildErr child_set_exec_label(const ChildPlan& plan) {
  if (plan.exec_label.empty()) return {};
  if (::setexeccon(plan.exec_label.c_str()) < 0)
    return child_err("setexeccon", plan.exec_label.c_str());
  return {};
}

}  // namespace keel::runtime
