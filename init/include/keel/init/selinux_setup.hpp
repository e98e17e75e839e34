// SELinux for PID 1: load Keel's policy before anything else runs, then re-execute
// so init runs in init_t (what systemd does in src/core/selinux-setup.c).
#pragma once

#include <string>

#include "keel/common/error.hpp"

namespace keel::init {

enum class SelinuxState {
  loaded_now,      // the policy was loaded by this call: re-execute to enter init_t
  already_loaded,  // we are the re-executed init
  disabled,        // no policy and enforcing not required: boot on without SELinux
};

// Loads /etc/selinux/<SELINUXTYPE>/policy/policy.NN (selinux_init_load_policy(3)).
// Fails, with what to check, if the load fails while enforcing is required by
// /etc/selinux/config (and enforcing=0 is not on the kernel command line).
Result<SelinuxState> load_selinux_policy(const std::string& cmdline);

// The current process's context ("kernel" before a policy is loaded).
std::string current_context();

}  // namespace keel::init
