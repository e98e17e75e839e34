// The ESP's bootloader: Debian's GRUB EFI (grub-efi-amd64-bin), built standalone with
// grub-mkimage into one EFI binary with the modules Keel's boot needs and an embedded
// early config. Installed as EFI/BOOT/BOOTX64.EFI, the removable-media path UEFI firmware
// boots with no boot entries in NVRAM (UEFI spec 2.10, 3.5.1.1). docs/BOOT.md.
#pragma once

#include <string>

#include "keel/common/error.hpp"

namespace keel::compose {

inline constexpr const char* kGrubModulesDir = "/usr/lib/grub/x86_64-efi";

// The embedded config. GRUB runs it with its rescue parser (simple commands only), then
// normal mode reads $prefix/grub.cfg: OSTree's current loader directory on the root
// filesystem labelled `root_label`, looked for first on the disk GRUB was loaded from.
std::string grub_early_config(const std::string& root_label);

// Writes the EFI binary to `out`; `work_dir` holds the config file. Same inputs, same
// bytes (grub-mkimage embeds no time stamps).
Result<void> build_grub_efi(const std::string& root_label, const std::string& work_dir,
                            const std::string& out);

}  // namespace keel::compose
