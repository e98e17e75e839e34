// The device cgroup on v2: a BPF_PROG_TYPE_CGROUP_DEVICE program compiled from
// linux.resources.devices (config-linux.md#allowed-device-list; the program context
// is struct bpf_cgroup_dev_ctx, kernel include/uapi/linux/bpf.h).
#pragma once

#include <linux/bpf.h>

#include <string_view>
#include <vector>

#include "keel/common/error.hpp"
#include "keel/common/unique_fd.hpp"
#include "keel/runtime/spec.hpp"

namespace keel::runtime {

// The program returns 1 (allow) or 0 (deny). Rules are checked in order and the
// last match wins, as in cgroup v1's devices.allow/deny; nothing matching is denied.
std::vector<bpf_insn> compile_device_rules(const std::vector<SpecDeviceRule>& rules);

// What the compiled program decides, in plain C++ (for tests and messages).
// `access` holds r, w, m; type is 'b' or 'c'.
bool device_allowed(const std::vector<SpecDeviceRule>& rules, char type, uint32_t major,
                    uint32_t minor, std::string_view access);

// bpf(2) BPF_PROG_LOAD + BPF_PROG_ATTACH (BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI) to
// the group; returns the program's fd, needed to detach it.
Result<UniqueFd> attach_device_program(int cgroup_fd, const std::vector<SpecDeviceRule>& rules);
Result<void> detach_device_program(int cgroup_fd, int prog_fd);

}  // namespace keel::runtime
