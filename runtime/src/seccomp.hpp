// linux.seccomp (runtime-spec "config-linux.md#seccomp") with libseccomp: the filter
// is compiled to BPF in the parent; the child only loads it, as its last step.
#pragma once

#include <string_view>

#include "child.hpp"
#include "keel/runtime/spec.hpp"

namespace keel::runtime {

// Checks for the parser: each fails with a message naming the bad value.
Result<void> check_seccomp_action(std::string_view action);
Result<void> check_seccomp_operator(std::string_view op);
Result<void> check_seccomp_arch(std::string_view arch);
Result<void> check_seccomp_flag(std::string_view flag);

// Compiles the profile. Unknown syscall names are skipped (as runc does): profiles
// list syscalls of newer kernels and other architectures.
Result<ChildSeccomp> compile_seccomp(const SpecSeccomp& profile);

// Child side: seccomp(SECCOMP_SET_MODE_FILTER). Needs no_new_privs or CAP_SYS_ADMIN.
ChildErr child_load_seccomp(const ChildSeccomp& filter);

}  // namespace keel::runtime
