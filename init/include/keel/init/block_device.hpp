// Finding the block device that holds the root filesystem. Devices appear
// asynchronously once their drivers probe, so the wait is event driven: an inotify
// watch on /dev (devtmpfs creates the node when the kernel registers the device,
// see Documentation/admin-guide/devices.rst) wakes a rescan of /sys/class/block.
#pragma once

#include <chrono>
#include <string>

#include "keel/common/error.hpp"

namespace keel::init {

struct BlockPaths {
  std::string sys_block = "/sys/class/block";  // one entry per disk and partition
  std::string dev = "/dev";                    // where the nodes live
};

// One scan: the /dev path whose ext4 label equals `label`, or "" if none yet.
std::string find_device_by_label(const std::string& label, const BlockPaths& paths);
// Waits (inotify + poll, no sleeping) until the device appears or `timeout` passes.
// The error lists the devices that were seen, which is what one needs to debug it.
Result<std::string> wait_for_device_by_label(const std::string& label, const BlockPaths& paths,
                                             std::chrono::milliseconds timeout);

}  // namespace keel::init
