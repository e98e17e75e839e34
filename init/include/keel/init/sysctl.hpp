// Kernel settings at boot from sysctl.d files (sysctl.d(5), the format systemd-sysctl
// reads): the image's in /usr/lib/sysctl.d (keel-compose writes [host.sysctl] there),
// the host's in /etc/sysctl.d. A file in /etc replaces the one of the same name in
// /usr/lib; all files apply in the order of their names.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "keel/common/error.hpp"

namespace keel::init {

struct SysctlSetting {
  std::string key;              // "vm.max_map_count" (dots or slashes, as written)
  std::string value;            // "262144"
  bool ignore_failure = false;  // "-key = value": a failed write is not reported
  std::string where;            // "file:line", for messages
};

// Parses one file. Lines: "key = value", "# comment", "; comment", blank. A line
// without '=' is an error naming its file and line.
Result<std::vector<SysctlSetting>> parse_sysctl_conf(std::string_view text,
                                                     const std::string& file);

// The *.conf files of `dirs` (earlier dirs win for the same name), ordered by name.
std::vector<std::string> sysctl_files(const std::vector<std::string>& dirs);

// "net.ipv4.ip_forward" -> "<proc_sys>/net/ipv4/ip_forward". Empty if the key could
// leave /proc/sys ("..", a leading '/').
std::string sysctl_path(const std::string& key, const std::string& proc_sys = "/proc/sys");

struct SysctlReport {
  int applied = 0;
  std::vector<std::string> errors;  // one line each, naming file:line and the key
};

// Reads and applies every file. Nothing here stops the boot.
SysctlReport apply_sysctls(const std::vector<std::string>& dirs,
                           const std::string& proc_sys = "/proc/sys");

}  // namespace keel::init
