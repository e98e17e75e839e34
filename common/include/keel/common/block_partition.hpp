// Where a filesystem's partition sits on its disk, read from sysfs. keel-init uses it
// to decide cheaply, on every boot, whether the root partition can grow (the disk was
// made bigger than the image: a cloud volume, a bare-metal install); keel-growfs uses
// it to grow it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "keel/common/error.hpp"

namespace keel {

struct BlockPartition {
  std::string disk;       // kernel name of the whole disk: "vda", "nvme0n1"
  std::string partition;  // kernel name of the partition: "vda2", "nvme0n1p2"
  unsigned number = 0;    // partition number (1-based, as in the partition table)
  uint64_t start = 0;     // in 512-byte sectors, as sysfs counts
  uint64_t sectors = 0;
  uint64_t disk_sectors = 0;
  uint64_t next_start = 0;  // start of the next partition on the disk, or disk_sectors
};

// The partition that device `dev` (st_dev of a mounted filesystem) is. sysfs is "/sys"
// except in tests. Fails if `dev` is a whole disk or not a block device partition.
Result<BlockPartition> partition_of(dev_t dev, const std::string& sysfs = "/sys");

// Sectors the partition could grow by: up to the next partition, or to the disk's end
// less the 33 sectors a GPT's backup copy takes there.
uint64_t growable_sectors(const BlockPartition& p);

}  // namespace keel
