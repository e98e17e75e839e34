// The two boot stages of PID 1 and the harness mode. Each returns only when
// keel-init should exit (harness) or never (PID 1: the kernel panics if init exits).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "keel/init/supervisor.hpp"

namespace keel::init {

// Initramfs stage: what ostree-prepare-root does, then switch root and exec
// /usr/bin/keel-init. On failure logs the step and stays alive.
[[noreturn]] void run_initramfs_stage();
// Real-root stage: API filesystems, cgroup controllers, then the supervisor.
[[noreturn]] void run_real_root_stage();
// `keel-init supervise`: the same supervisor as a child subreaper, no mounts, exits.
int run_supervise_harness(const SupervisorConfig& config);

}  // namespace keel::init
