// keel-hwcompat report: the devices of a machine against the matrix.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "keel/common/error.hpp"
#include "keel/hwcompat/facts.hpp"
#include "keel/hwcompat/image.hpp"
#include "keel/hwcompat/policy.hpp"

namespace keel::hwcompat {

struct HostDevice {
  std::string slot;  // 0000:00:02.0
  PciId id;
  std::string driver;       // bound driver (sysfs only)
  bool holds_root = false;  // the root filesystem's disk hangs off it (sysfs only)
};

// <sys>/bus/pci/devices/*: vendor, device, subsystem_*, class and the driver link.
Result<std::vector<HostDevice>> read_sysfs(const std::string& sys_root);
// The sysfs path of the block device holding "/" (<sys>/dev/block/MAJ:MIN resolved,
// e.g. /sys/devices/pci0000:00/0000:00:03.0/virtio1/block/vda/vda2), if there is one.
std::optional<std::string> root_block_device(const std::string& sys_root);
// The same for a block device node (/dev/vda), if it is one.
std::optional<std::string> block_device_sys_path(const std::string& sys_root,
                                                 const std::string& dev_node);
// Marks the PCI functions on `root_path` (the controller and any bridges above it) as
// holding the root disk. Returns whether any did.
bool mark_root_controller(std::vector<HostDevice>& devs, const std::string& root_path);
// `lspci -n` ("00:02.0 0100: 1af4:1001 (rev 01)") or `lspci -nnmm` output.
Result<std::vector<HostDevice>> parse_lspci(std::string_view text, const std::string& path);

struct FirmwareState {
  std::string file;
  bool present = false;
};

struct DeviceReport {
  HostDevice dev;
  std::string name;   // from the facts, or pci.ids class name
  std::string role;   // storage, nic, other (from the class)
  std::string chain;  // "virtio_pci>virtio_blk"; empty when nothing claims it
  std::optional<Tier> tier;
  bool supported = false;
  bool fatal = false;  // an unsupported disk controller or NIC
  std::string reason;  // why it is not supported
  std::vector<FirmwareState> firmware;
};

struct ReportInput {
  const Facts& facts;
  const Policy& policy;
  const HardwareSpec* spec = nullptr;  // the image's [hardware]; null: the whole kernel
  std::string firmware_dir;
  // Devices ("vvvv:dddd") whose being unsupported is not fatal: a controller the
  // machine has but does not boot from (q35's ICH9 AHCI under the cloud kernel).
  std::vector<std::string> allow;
  // Live sysfs told which controller holds the root disk: then only that one is a
  // boot disk controller, and other unsupported storage controllers are warnings.
  bool root_known = false;
};

DeviceReport report_device(const ReportInput& in, const HostDevice& dev);
std::vector<DeviceReport> build_report(const ReportInput& in, const std::vector<HostDevice>& devs);
std::string report_text(const std::vector<DeviceReport>& r);
std::string report_json(const std::vector<DeviceReport>& r);

// keel-hwcompat matrix: the rows of one or more facts files (one per flavour)
// with their tiers, as Markdown or HTML. Rows below `min_tier` are left out.
enum class MatrixFormat { markdown, html };
std::string export_matrix(const std::vector<Facts>& facts, const Policy& policy,
                          MatrixFormat format, Tier min_tier);

}  // namespace keel::hwcompat
