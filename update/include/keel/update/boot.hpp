// The updater's half of boot counting (docs/BOOT.md "For the updater"). A sysroot that
// boots through GRUB has boot/keel/grubenv; there, libostree must run Keel's grub.cfg
// generator on every deployment change, a new default deployment goes on trial with the
// attempts its image's [boot] tries gives, and a manual rollback ends any trial. Sysroots
// without grubenv (direct kernel boot, test sysroots) need none of it.
#pragma once

#include <optional>
#include <string>

#include "keel/bootloader/boot_counter.hpp"
#include "keel/common/error.hpp"
#include "keel/update/sysroot.hpp"

namespace keel::update {

// True when the sysroot boots through GRUB. Then OSTREE_GRUB2_EXEC names the generator
// (`generator`, the booted image's by default); fails if that is missing, before anything
// is deployed.
Result<bool> prepare_grub(const Sysroot& s,
                          const std::string& generator = "/usr/lib/keel/keel-grub-generator");

// Puts `d` (the new default, menu entry 0) on trial with its image's [boot] tries.
Result<void> arm_boot_trial(Sysroot& s, const DeploymentInfo& d);

// After the deployment order changed by hand: no deployment is on trial any more.
Result<void> end_boot_trial(const Sysroot& s);

// GRUB's boot counter of the sysroot; nullopt when it does not boot through GRUB.
Result<std::optional<bootloader::BootCounter>> read_boot_trial(const Sysroot& s);

// The deployment ("<commit>.<serial>") that used up its boot attempts on this host and was
// rolled back from (keel_failed), if it is a deployment of `checksum`; else empty. Such a
// release is not applied again automatically (docs/UPDATES.md "Rolling out").
std::string failed_trial_of(const std::optional<bootloader::BootCounter>& c,
                            const std::string& checksum);

}  // namespace keel::update
