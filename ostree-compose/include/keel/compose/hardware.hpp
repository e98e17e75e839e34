// The hardware matrix in a compose (hardware-compat/README.md): an image's
// [hardware] table picks modules, initramfs drivers and firmware from the policy
// and the facts of the kernel it ships, and the image carries the matrix.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "keel/common/error.hpp"
#include "keel/compose/image_def.hpp"
#include "keel/hwcompat/image.hpp"

namespace keel::compose {

using WarnFn = std::function<void(const std::string&)>;

// Before anything is downloaded: the image's targets against the committed
// lockfile (hardware-compat/facts/<flavour>.lock), so a matrix that drops the
// root disk's driver fails in a second. Returns the firmware packages to install.
Result<std::vector<std::string>> check_hardware_early(const hwcompat::HardwareSpec& spec,
                                                      const std::string& hwcompat_dir);

struct HardwarePlan {
  std::vector<std::string> modules;             // kept in the image (dependencies added later)
  std::vector<std::string> initramfs;           // loaded in the initramfs
  std::vector<std::string> initramfs_firmware;  // their firmware, under usr/lib/firmware
  std::string facts_text;                       // the lockfile of the kernel in the tree
};

// With the kernel in the tree: generates its facts (warning if they differ from
// the committed lockfile), selects, checks the targets again, checks and prunes
// the firmware (files of the firmware packages that no selected module requests
// are removed). `debs` and `cache_dir` locate the firmware packages' files.
Result<HardwarePlan> plan_hardware(const ImageDef& def, const std::string& hwcompat_dir,
                                   const std::string& rootfs, const std::string& kver,
                                   const std::vector<std::string>& debs,
                                   const std::string& cache_dir, const WarnFn& warn);

// /usr/share/keel/hwcompat/{facts.lock,policy.toml,image.toml}: what
// `keel-hwcompat report` reads on the host by default.
Result<void> install_matrix(const ImageDef& def, const std::string& hwcompat_dir,
                            const std::string& rootfs, const std::string& facts_text);

}  // namespace keel::compose
