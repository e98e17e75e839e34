// Drivers for the devices present at boot ("coldplug"): every modalias under
// /sys/devices is handed to modprobe(8) from Debian's kmod, which resolves it with
// libkmod against the image's modules.alias and loads the matches with their
// dependencies. The modules the image carries are chosen at compose time.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "keel/common/error.hpp"

namespace keel::init {

// The distinct contents of every `modalias` file below `sys_devices`.
std::vector<std::string> collect_modaliases(const std::string& sys_devices = "/sys/devices");

// The module names in a /proc/modules text.
std::set<std::string> loaded_modules(std::string_view proc_modules);

// Runs `modprobe -q -b -a ALIAS...` (blacklist applied, unknown aliases ignored) and
// waits for it. Returns the modules that are loaded now and were not before.
// Starts `modprobe -q -b ALIAS` and returns its pid without waiting (hotplug); the
// caller reaps it.
Result<pid_t> start_modprobe(const std::string& alias,
                             const std::string& modprobe = "/usr/sbin/modprobe");

Result<std::vector<std::string>> load_drivers(const std::vector<std::string>& aliases,
                                              const std::string& modprobe = "/usr/sbin/modprobe");

}  // namespace keel::init
