// `keelctl check-kernel`: is the running kernel fit for Keel? The build config
// (/usr/lib/modules/$(uname -r)/config, shipped by keel-compose) against
// kernel/config-rules.toml, plus what only the live host shows: the active LSMs,
// cgroup v2 at /sys/fs/cgroup, and a kernel command line that enables SELinux.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace keel::init {

// Where the checks read; tests point them at files of their own.
struct KernelCheckPaths {
  std::string config;  // empty: /usr/lib/modules/$(uname -r)/config
  std::string lsm = "/sys/kernel/security/lsm";
  std::string cgroup = "/sys/fs/cgroup";
  std::string cmdline = "/proc/cmdline";
};

struct HostCheck {
  std::string name;  // "lsm", "cgroup2", "cmdline"
  bool ok = false;
  std::string detail;
};

// Debian's kernel has SELINUX_BOOTPARAM unset and AppArmor first: SELinux is only
// active with security=selinux or an lsm= list naming selinux
// (Documentation/admin-guide/kernel-parameters.txt). The last occurrence wins.
bool cmdline_enables_selinux(std::string_view cmdline);

std::vector<HostCheck> host_checks(const KernelCheckPaths& paths);

// Prints a report (or one JSON object with --json); 0 when every required option
// and every host check passes, 1 when one fails, 2 when the config is unreadable.
int run_check_kernel(const KernelCheckPaths& paths, bool json, std::FILE* out, std::FILE* err);

}  // namespace keel::init
