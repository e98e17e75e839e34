// Marking a boot good (docs/BOOT.md "Boot counting"): what this boot is (the booted
// deployment, the counter in GRUB's environment block, keel.rollback=), and whether the
// image's gates (containers that must be ready) passed. On a trial boot keel-init ends
// the trial once they are all ready, and reboots if one fails or the deadline passes, so
// that GRUB takes the next attempt or falls back. Nothing here links libostree.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "keel/bootloader/boot_counter.hpp"
#include "keel/common/error.hpp"
#include "keel/init/cmdline.hpp"

namespace keel::init {

struct BootInfo {
  std::string deployment;  // "<csum>.<serial>"; empty when not booted from a deployment
  std::string version;     // VERSION_ID of the booted tree
  bootloader::BootKind kind = bootloader::BootKind::normal;
  bootloader::BootCounter counter;  // as read at boot
  std::string rolled_back_from;     // keel.rollback=: the deployment that failed
  std::string grubenv;              // the block's path; empty: no boot counting
  std::vector<std::string> gates;   // from /usr/lib/keel/boot.toml
  std::chrono::seconds deadline{120};
  std::vector<std::string> problems;  // why counting is off, for the log
};

struct BootPaths {
  std::string sysroot = "/sysroot";
  std::string os_release = "/usr/lib/os-release";
  std::string settings = "/usr/lib/keel/boot.toml";
  std::string grubenv = bootloader::kGrubenvOnHost;
};

// Never fails: a boot must go on without counting rather than stop. What could not be
// read is in `problems`.
BootInfo read_boot_info(const KernelCmdline& cmd, const BootPaths& paths = {});

// What a gate container looks like to the check.
struct GateView {
  std::string name;
  bool ready = false;  // it was ready once during this boot
  bool ended = false;  // stopped or failed, and will not be started again
  bool crash_looping = false;
};

enum class GateVerdict { waiting, good, failed };

// good: every gate was ready. failed: a gate ended or crash-loops without having been
// ready, or is not a container at all (`why` says which). waiting: otherwise.
GateVerdict judge_gates(const std::vector<std::string>& gates, const std::vector<GateView>& seen,
                        std::string& why);

// One line for the console and `keelctl status`: "trial of <id>, 2 attempts left".
std::string describe_boot(const BootInfo& b);

}  // namespace keel::init
