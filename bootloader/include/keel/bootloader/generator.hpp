// keel-grub-generator's job, as libostree's grub2 backend runs it
// (ostree-bootloader-grub2.c _ostree_bootloader_grub2_write_config(), with
// OSTREE_GRUB2_EXEC naming the program): `PROG -o <sysroot>/boot/loader.N/grub.cfg`,
// after OSTree wrote the sibling entries/ and the new boot.N links, and before it swaps
// boot/loader to loader.N.
#pragma once

#include <string>

#include "keel/bootloader/grub_cfg.hpp"

namespace keel::bootloader {

// Where the generator lives in a Keel image. A process that deploys with libostree
// (keel-compose, the updater) sets OSTREE_GRUB2_EXEC to it and the sysroot repository's
// sysroot.bootloader to grub2 (docs/BOOT.md "The generator").
inline constexpr const char* kGeneratorInImage = "/usr/lib/keel/keel-grub-generator";

// Everything render_grub_cfg() needs, found from the output path: the entries beside it,
// the sysroot three levels up, the boot settings of the newest deployment (entry 0's
// ostree= link; defaults if it has no boot.toml), and the boot prefix (/boot on the root
// filesystem or not).
Result<GrubCfgInput> gather_grub_cfg_input(const std::string& output);

// gather + render + write (temporary file, fsync, rename).
Result<void> generate_grub_cfg(const std::string& output);

}  // namespace keel::bootloader
