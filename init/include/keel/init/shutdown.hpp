// The end of PID 1: after the supervisor has stopped the containers, kill what is
// left, unmount or remount read-only, sync and reboot(2). Also the emergency path:
// PID 1 must never exit (the kernel panics), so a fatal error hangs or reboots.
#pragma once

#include <string_view>

#include "keel/init/cmdline.hpp"

namespace keel::init {

[[noreturn]] void final_shutdown(ShutdownAction action);
// Logs `what` as an error, then reboots (if keel.panic-reboot) or blocks forever.
[[noreturn]] void emergency(std::string_view what, bool reboot_after);

}  // namespace keel::init
