// The live ISO and PXE bundle of a composed image (keel-compose live, docs/INSTALL.md
// "Live ISO and PXE"), laid out as Fedora CoreOS ships its live media:
//   pxe/vmlinuz, pxe/initramfs.img  the image's kernel and initramfs, as they are
//   pxe/rootfs.img                  a second initrd: a zstd cpio whose keel-live/ holds
//                                   root.ext4 (the image's root file system, shrunk),
//                                   disk.raw.zst and disk.raw.sha256 (what installs)
//   keel-live.iso                   the three above, booted by GRUB EFI (El Torito)
// The kernel unpacks both initrds into RAM; keel-init with keel.live mounts root.ext4
// through a loop device (init/include/keel/init/live.hpp). Nothing is read from the
// medium after GRUB, so the same files boot from a CD, a USB stick or PXE.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "keel/common/error.hpp"

namespace keel::compose {

struct LiveOptions {
  std::string image_dir;  // a composed image: disk.raw, vmlinuz, initramfs.img, cmdline
  std::string out_dir;    // default image_dir/live
  std::vector<std::string> extra_args;  // appended to the live kernel command line
};

struct LiveFile {
  std::string name;  // relative to out_dir: keel-live.iso, pxe/rootfs.img, ...
  uint64_t bytes = 0;
};

struct LiveBundle {
  std::vector<LiveFile> files;
  std::string kernel_args;  // the live entry's command line (also pxe/cmdline)
};

// The live kernel command line: the image's own (its ostree= names the deployment in
// root.ext4) without root=, then keel.live and `extra`.
std::string live_kernel_args(const std::string& image_cmdline,
                             const std::vector<std::string>& extra);

// The GRUB configuration of the ISO: serial and screen console, one entry.
std::string live_grub_cfg(const std::string& kernel_args);

// Writes the bundle; every output file is replaced atomically.
Result<LiveBundle> write_live_bundle(const LiveOptions& opts);

int live_main(int argc, char** argv);

}  // namespace keel::compose
