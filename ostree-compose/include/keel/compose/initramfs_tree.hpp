// What goes into Keel's initramfs (see docs/ARCHITECTURE.md, "The initramfs").
#pragma once

#include <string>
#include <vector>

#include "keel/common/error.hpp"
#include "keel/compose/initramfs.hpp"

namespace keel::compose {

struct InitramfsInput {
  std::string rootfs;  // the composed tree: libraries and modules come from here
  std::string kver;
  std::string init_binary;            // keel-init
  std::vector<std::string> modules;   // names or aliases to load at boot
  std::vector<std::string> firmware;  // files under usr/lib/firmware those modules request
  // Loaded only by a live boot (keel.live): listed in etc/keel/initramfs-live-modules.
  std::vector<std::string> live_modules;
};

// What a live boot needs beyond the root disk's drivers: the loop driver that turns the
// live media's root.ext4 into a block device (init/include/keel/init/live.hpp).
inline const std::vector<std::string> kLiveModules = {"loop"};

// The entries in archive order (parents first). Exposed for tests.
Result<std::vector<CpioEntry>> initramfs_entries(const InitramfsInput& in);

Result<void> write_initramfs(const InitramfsInput& in, const std::string& out_path);

}  // namespace keel::compose
