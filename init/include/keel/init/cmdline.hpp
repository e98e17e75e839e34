// The kernel command line as keel-init reads it (/proc/cmdline).
// Syntax follows the kernel's own parser (kernel/params.c next_arg()): words split on
// whitespace, double quotes group spaces and are removed, "--" ends the kernel's part.
// See docs/ARCHITECTURE.md "Kernel command line" for the keys Keel uses.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace keel::init {

// How the machine goes down. Signals map to these the busybox way:
// SIGTERM and SIGINT (ctrl-alt-del) reboot, SIGUSR2 powers off, SIGUSR1 halts.
enum class ShutdownAction { poweroff, reboot, halt };

std::string_view to_string(ShutdownAction a);
std::optional<ShutdownAction> parse_shutdown_action(std::string_view text);

struct KernelCmdline {
  std::string root;        // raw root= value
  std::string root_label;  // from root=LABEL=<label>
  std::string ostree;      // ostree=/ostree/boot.N/<os>/<bootcsum>/<serial>
  std::optional<ShutdownAction> shutdown_when_done;  // keel.shutdown-when-done=
  bool panic_reboot = false;                         // keel.panic-reboot[=1]
  // keel.rollback=<deployment>: GRUB booted the fallback because that deployment used
  // up its boot attempts (docs/BOOT.md "Boot counting").
  std::string rollback;
  // keel.live: the root is the live image the initramfs carries (keel-compose live,
  // docs/INSTALL.md "Live ISO and PXE"), not a disk.
  bool live = false;
  // keel.install.to=<disk>: the live system writes the image it carries onto that disk;
  // keel.install.reboot / keel.install.poweroff: what it does after a good install.
  std::string install_to;
  std::optional<ShutdownAction> after_install;
  std::vector<std::string> warnings;  // unknown keel.* keys, bad values: logged, not fatal
};

// Splits like the kernel does; exposed for tests.
std::vector<std::string> split_cmdline(std::string_view text);
// Never fails: a typo on the command line must not stop the boot, it becomes a warning.
KernelCmdline parse_cmdline(std::string_view text);

}  // namespace keel::init
