// What an image takes from the matrix: its [hardware] table (docs/IMAGES.md)
// applied to the facts and the policy.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "keel/common/error.hpp"
#include "keel/common/toml.hpp"
#include "keel/hwcompat/facts.hpp"
#include "keel/hwcompat/policy.hpp"
#include "keel/hwcompat/resolve.hpp"

namespace keel::hwcompat {

struct HardwareSpec {
  std::string source;   // the image definition
  std::string flavour;  // its [kernel] flavour
  Tier tier = Tier::certified;
  std::vector<std::string> targets;
  std::vector<std::string> exclude_modules;
  std::string targets_where, exclude_where;  // file:line:col of the keys
};

// The [hardware] table of an image definition; nullopt when it has none.
Result<std::optional<HardwareSpec>> parse_hardware(const TomlDoc& doc, const std::string& flavour);
// An image definition (or the image.toml keel-compose installs): [kernel]
// flavour and [hardware]; other tables are ignored.
Result<HardwareSpec> load_hardware_spec(const std::string& path);
// The image.toml keel-compose installs beside the matrix.
std::string write_hardware_spec(const HardwareSpec& spec);

struct Selection {
  std::vector<std::string> modules;    // every module of the tier and flavour, sorted
  std::vector<std::string> initramfs;  // the boot-critical ones (storage, nic) and their needs
  std::set<std::string> firmware_packages;

  bool has(const std::string& module) const;
};

Selection select_modules(const Facts& facts, const Policy& policy, const HardwareSpec& spec);

// Why a module is not in the image, for messages; empty if it is.
std::string why_missing(const std::string& module, const Facts& facts, const Policy& policy,
                        const HardwareSpec& spec, const Selection& sel);

// The device's name from the facts ("Virtio block device"), or "".
std::string device_name(const Facts& facts, const PciId& id);

// Each disk controller and NIC of the image's targets must resolve to a chain
// of modules the image carries (or the kernel has built in). The error names
// the device, the module, why it is missing and the fix.
Result<void> check_targets(const Facts& facts, const Policy& policy, const HardwareSpec& spec,
                           const Selection& sel);

struct FirmwareFile {
  std::string module, file, package;
  bool required = false;
  bool present = false;
};

// The firmware the selected modules request, looked up in `firmware_dir`
// (/lib/firmware of the tree). Fails if a file the policy marks required is
// missing; other missing files are returned with present = false.
Result<std::vector<FirmwareFile>> select_firmware(const Facts& facts, const Policy& policy,
                                                  const std::vector<std::string>& modules,
                                                  const std::string& firmware_dir);

// The firmware the initramfs must carry: files present in `firmware_dir` that the
// initramfs drivers request (they probe there, before the real root is mounted).
// Names are as found on disk, with a ".xz"/".zst" suffix where compressed.
std::vector<std::string> initramfs_firmware(const std::vector<FirmwareFile>& firmware,
                                            const std::vector<std::string>& initramfs_modules,
                                            const std::string& firmware_dir);

}  // namespace keel::hwcompat
