// Growing the root partition and its ext4 filesystem into the free space after it,
// while mounted: what cloud-init's growpart + resize2fs do on first boot, for a disk
// bigger than the image (a cloud volume, a bare-metal install). docs/INSTALL.md.
#pragma once

#include <cstdint>
#include <string>

#include "keel/common/block_partition.hpp"
#include "keel/common/error.hpp"

namespace keel::growfs {

// Less than this is not worth a partition table write.
constexpr uint64_t kMinGrowBytes = 16ull << 20;

// Rewrites the disk's GPT (libfdisk): the backup header moves to the disk's new end and
// partition p ends where the free space ends. The kernel learns the new size through
// BLKPG (libfdisk's reread of changed partitions), which works while p is mounted.
// Returns the partition's new size in bytes. dev is "/dev" except in tests.
Result<uint64_t> grow_partition(const BlockPartition& p, const std::string& dev = "/dev");

struct FsSize {
  uint64_t before = 0, after = 0;  // bytes, as statfs counts them (df's size)
};

// Grows the mounted ext4 filesystem at mountpoint to fill partition_bytes
// (EXT4_IOC_RESIZE_FS: the kernel's online resize, which resize2fs uses too).
Result<FsSize> grow_ext4(const std::string& mountpoint, uint64_t partition_bytes);

}  // namespace keel::growfs
