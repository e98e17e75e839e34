// Reading the label of an ext4 filesystem straight from its superblock, so the
// initramfs needs neither blkid nor udev. Layout: kernel Documentation/filesystems/
// ext4/super.rst (superblock at byte 1024; s_magic 0xEF53 at +0x38; s_volume_name[16]
// at +0x78).
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>

#include "keel/common/error.hpp"

namespace keel::init {

inline constexpr size_t kExt4SuperblockOffset = 1024;
inline constexpr size_t kExt4SuperblockSize = 1024;

// nullopt when the bytes are not an ext2/3/4 superblock.
std::optional<std::string> ext4_label_from_superblock(std::span<const unsigned char> sb);
// Reads the superblock of a device or image file. nullopt: not ext4.
Result<std::optional<std::string>> read_ext4_label(const std::string& path);

}  // namespace keel::init
