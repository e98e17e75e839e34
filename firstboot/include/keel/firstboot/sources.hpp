// Where user-data comes from, in the order keel-firstboot looks (docs/FIRSTBOOT.md):
//  1. a config drive: a file system labelled cidata/CIDATA (cloud-init's NoCloud,
//     file `user-data`) or config-2/CONFIG-2 (OpenStack, `openstack/latest/user_data`),
//     found with libblkid and mounted read-only, nosuid, nodev, noexec;
//  2. QEMU's fw_cfg entry opt/keel/user-data (-fw_cfg name=opt/keel/user-data,file=F);
//  3. the EC2-style metadata service, http://169.254.169.254/latest/user-data, once
//     the network is up, on clouds whose DMI data says they have one.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "keel/common/error.hpp"

namespace keel::firstboot {

struct Found {
  std::string text;
  std::string source;  // for messages: "the config drive /dev/vdb (vfat, label CIDATA)"
};

struct ProbedFs {
  std::string type, label;
};
// The file system on `device` (a block device or an image file), probed by libblkid;
// nothing if it holds no file system libblkid knows.
Result<std::optional<ProbedFs>> probe_filesystem(const std::string& device);
bool is_config_drive_label(std::string_view label);

struct DrivePaths {
  std::string sys_class_block = "/sys/class/block";
  std::string dev = "/dev";
  std::string mount_point = "/run/keel/firstboot/drive";
};
// The first block device (in name order) with a config drive's label: mounted, its
// user-data read, unmounted. A config drive without its user-data file is an error.
Result<std::optional<Found>> read_config_drive(const DrivePaths& paths = {});

// fw_cfg's opt/keel/user-data (the qemu_fw_cfg driver's sysfs files); nothing outside
// QEMU or without the entry.
Result<std::optional<Found>> read_fw_cfg(const std::string& sysfs = "/sys");

// Whether the DMI data (/sys/class/dmi/id) names a cloud with an EC2-style metadata
// service: Amazon EC2 or OpenStack. `which` gets its name.
bool dmi_says_cloud(const std::string& sysfs, std::string* which);

inline constexpr const char* kMetadataUrl = "http://169.254.169.254/latest/user-data";

struct MetadataAnswer {
  enum class Kind { found, none, unreachable } kind = Kind::unreachable;
  std::string text;    // found: the user-data
  std::string detail;  // none/unreachable: what the service said or why it did not
};
struct MetadataOptions {
  int tries = 5;
  std::chrono::milliseconds connect_timeout{2000}, timeout{10000}, pause{1000};
};
// GET `url` with libcurl (http only, no proxy, no redirects), with an IMDSv2 session
// token when the service hands one out, retrying connection failures and server
// errors. 404 means the service has no user-data for this host.
MetadataAnswer fetch_metadata(const std::string& url, const MetadataOptions& options = {});

}  // namespace keel::firstboot
