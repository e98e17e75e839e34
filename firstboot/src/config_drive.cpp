// Config drives: libblkid tells each block device's file system and label; the first
// one labelled like a config drive is mounted read-only and its user-data read.
#include <blkid/blkid.h>
#include <dirent.h>
#include <sys/mount.h>

#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "fs.hpp"
#include "keel/common/sys.hpp"
#include "keel/common/text.hpp"
#include "keel/firstboot/sources.hpp"
#include "keel/firstboot/user_data.hpp"

namespace keel::firstboot {

namespace {

struct ProbeDeleter {
  void operator()(blkid_probe p) const { blkid_free_probe(p); }
};

std::string probe_value(blkid_probe p, const char* name) {
  const char* v = nullptr;
  size_t len = 0;
  if (blkid_probe_lookup_value(p, name, &v, &len) != 0 || !v) return {};
  return std::string(v, strnlen(v, len));
}

// Block devices by name, skipping those with no media or no size (empty CD drives,
// unused loop devices).
std::vector<std::string> block_devices(const std::string& sys_class_block) {
  std::vector<std::string> out;
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(sys_class_block.c_str()), ::closedir);
  if (!d) return out;
  while (const dirent* e = ::readdir(d.get())) {
    std::string name = e->d_name;
    if (name.starts_with(".")) continue;
    auto size = sys::read_file(sys_class_block + "/" + name + "/size");
    if (size && trim(*size) != "0" && !trim(*size).empty()) out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The user-data file in a mounted drive of each kind.
std::string user_data_file(std::string_view label) {
  return label == "config-2" || label == "CONFIG-2" ? "openstack/latest/user_data" : "user-data";
}

struct Mounted {
  std::string point;
  ~Mounted() {
    if (!point.empty()) (void)sys::umount(point, MNT_DETACH);
  }
};

Result<Found> read_drive(const std::string& device, const ProbedFs& fs_info,
                         const std::string& mount_point) {
  TRY(sys::mkdir_p(mount_point, 0700));
  // Read-only and inert: nothing on the drive can be executed, be a device, or gain
  // privileges (mount(2) MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC).
  TRY(sys::mount(device.c_str(), mount_point, fs_info.type.c_str(),
                 MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC));
  Mounted guard{mount_point};
  std::string file = user_data_file(fs_info.label);
  std::string source =
      fmt::format("the config drive {} ({}, label {})", device, fs_info.type, fs_info.label);
  auto text = fs::read_beneath(mount_point, file, kMaxUserData);
  if (!text && text.error().code() == ENOENT)
    return fail_msg(
        fmt::format("{} has no {} file; put the user-data there (an empty file is "
                    "fine)",
                    source, file));
  if (!text) return fail(std::move(text).error().context("reading " + source));
  return Found{std::move(*text), source + ", file " + file};
}

}  // namespace

bool is_config_drive_label(std::string_view label) {
  return label == "cidata" || label == "CIDATA" || label == "config-2" || label == "CONFIG-2";
}

Result<std::optional<ProbedFs>> probe_filesystem(const std::string& device) {
  std::unique_ptr<blkid_struct_probe, ProbeDeleter> p(
      blkid_new_probe_from_filename(device.c_str()));
  if (!p) return fail_errno("libblkid: opening " + device);
  blkid_probe_enable_superblocks(p.get(), 1);
  blkid_probe_set_superblocks_flags(p.get(), BLKID_SUBLKS_LABEL | BLKID_SUBLKS_TYPE);
  int rc = blkid_do_safeprobe(p.get());
  if (rc < 0) return fail_msg("libblkid: probing " + device + " failed");
  if (rc > 0) return std::optional<ProbedFs>{};  // 1: nothing found, -2: ambiguous
  return std::optional<ProbedFs>(
      ProbedFs{probe_value(p.get(), "TYPE"), probe_value(p.get(), "LABEL")});
}

Result<std::optional<Found>> read_config_drive(const DrivePaths& paths) {
  for (const auto& name : block_devices(paths.sys_class_block)) {
    std::string device = paths.dev + "/" + name;
    auto probed = probe_filesystem(device);
    if (!probed || !*probed || !is_config_drive_label((*probed)->label)) continue;
    return std::optional<Found>(TRY(read_drive(device, **probed, paths.mount_point)));
  }
  return std::optional<Found>{};
}

Result<std::optional<Found>> read_fw_cfg(const std::string& sysfs) {
  std::string dir = sysfs + "/firmware/qemu_fw_cfg";
  if (!fs::is_dir(dir)) return std::optional<Found>{};
  std::string raw = dir + "/by_name/opt/keel/user-data/raw";
  if (!fs::exists(raw)) return std::optional<Found>{};
  auto text = TRY_CTX(fs::read_limited(raw, kMaxUserData), "reading QEMU's fw_cfg");
  return std::optional<Found>(Found{std::move(text), "QEMU's fw_cfg entry opt/keel/user-data"});
}

bool dmi_says_cloud(const std::string& sysfs, std::string* which) {
  auto field = [&](const char* name) {
    auto text = sys::read_file(sysfs + "/class/dmi/id/" + name);
    return text ? std::string(trim(std::string_view(*text).substr(0, text->find('\n'))))
                : std::string();
  };
  std::string vendor = field("sys_vendor"), product = field("product_name");
  // What EC2 and OpenStack Nova put in the SMBIOS system table (cloud-init's ds-identify
  // checks the same fields).
  std::string found;
  if (vendor == "Amazon EC2")
    found = "Amazon EC2";
  else if (vendor.starts_with("OpenStack") || product.starts_with("OpenStack"))
    found = "OpenStack";
  if (which) *which = found;
  return !found.empty();
}

}  // namespace keel::firstboot
