// Bootable disk images from a deployed sysroot, without loop mounts.
#pragma once

#include <cstdint>
#include <string>

#include "keel/common/error.hpp"

namespace keel::compose {

struct DiskRequest {
  std::string sysroot;     // deployed OSTree sysroot to copy in
  std::string out_dir;     // disk.raw and disk.qcow2 are written here
  std::string work_dir;    // scratch space for the partition images
  std::string root_label;  // the initramfs finds the root by this label
  uint64_t free_space = 0;
  std::string efi_binary;  // GRUB (grub_efi.hpp), copied to the ESP's EFI/BOOT/BOOTX64.EFI
  uint64_t timestamp = 0;  // the ESP's file times (SOURCE_DATE_EPOCH), for reproducibility
};

struct DiskImages {
  std::string raw;
  std::string qcow2;
  uint64_t raw_bytes = 0;  // virtual size
};

// GPT: partition 1 is a 64 MiB FAT ESP holding GRUB as EFI/BOOT/BOOTX64.EFI, partition 2 the
// ext4 root holding the sysroot (including /boot). The ext4 image is made by
// `mkfs.ext4 -d`, which keeps hardlinks, symlinks and xattrs.
Result<DiskImages> write_disk_images(const DiskRequest& req);

// Bytes the tree occupies on disk (hardlinked files counted once) and its inode count.
struct TreeUsage {
  uint64_t bytes = 0;
  uint64_t inodes = 0;
};
Result<TreeUsage> tree_usage(const std::string& dir);

}  // namespace keel::compose
