#include <blkid/blkid.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <filesystem>
#include <memory>
#include <set>

#include "keel/common/sys.hpp"
#include "keel/common/text.hpp"
#include "keel/install/install.hpp"

namespace keel::install {

namespace {

struct ProbeDeleter {
  void operator()(blkid_probe p) const { blkid_free_probe(p); }
};

std::string dev_number(const std::string& sysdir) {
  auto d = sys::read_file(sysdir + "/dev");
  return d ? std::string(trim(d->substr(0, d->find('\n')))) : "";
}

// "MAJ:MIN" of the disk and of each of its partitions (sysfs lists the partitions as
// subdirectories of the disk that have a "partition" file).
std::set<std::string> device_numbers(const std::string& name) {
  std::string dir = "/sys/class/block/" + name;
  std::set<std::string> out = {dev_number(dir)};
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    if (sys::exists(e.path().string() + "/partition")) out.insert(dev_number(e.path().string()));
  return out;
}

// Mounted filesystems and active swap on the disk or its partitions.
Result<void> check_unused(const std::string& path, const std::string& name) {
  auto devs = device_numbers(name);
  auto mounts = TRY(sys::read_file("/proc/self/mountinfo"));
  for (auto line : split_lines(mounts)) {
    // mountinfo(5): ID PARENT MAJ:MIN ROOT MOUNTPOINT ...
    size_t a = line.find(' '), b = line.find(' ', a + 1), c = line.find(' ', b + 1);
    if (c == std::string_view::npos) continue;
    std::string_view dev = line.substr(b + 1, c - b - 1);
    if (!devs.contains(std::string(dev))) continue;
    size_t d = line.find(' ', c + 1), e = line.find(' ', d + 1);
    return fail_msg(
        fmt::format("{} is in use: {} is mounted on {}. Fix: unmount it, or pick "
                    "another disk",
                    path, dev, line.substr(d + 1, e - d - 1)));
  }
  auto swaps = sys::read_file("/proc/swaps").value_or("");
  for (auto line : split_lines(swaps))
    if (line.starts_with("/dev/" + name))
      return fail_msg(fmt::format("{} is in use as swap ({}). Fix: swapoff it first", path,
                                  line.substr(0, line.find(' '))));
  return {};
}

// What libblkid recognises on the device: a partition table, a filesystem, RAID/LVM.
Result<std::vector<std::string>> signatures(const std::string& path) {
  std::unique_ptr<blkid_struct_probe, ProbeDeleter> pr(blkid_new_probe_from_filename(path.c_str()));
  if (!pr) return fail_errno("libblkid: opening " + path);
  blkid_probe_enable_partitions(pr.get(), 1);
  blkid_probe_enable_superblocks(pr.get(), 1);
  blkid_probe_set_superblocks_flags(pr.get(), BLKID_SUBLKS_TYPE);
  std::vector<std::string> found;
  while (blkid_do_probe(pr.get()) == 0) {
    const char* v = nullptr;
    if (blkid_probe_lookup_value(pr.get(), "PTTYPE", &v, nullptr) == 0)
      found.push_back(fmt::format("{} partition table", v));
    else if (blkid_probe_lookup_value(pr.get(), "TYPE", &v, nullptr) == 0)
      found.push_back(fmt::format("{} signature", v));
  }
  return found;
}

}  // namespace

Result<Target> inspect_target(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) < 0) return fail_errno("stat " + path);
  if (!S_ISBLK(st.st_mode))
    return fail_msg(
        fmt::format("{} is not a block device. Fix: name a whole disk, such as "
                    "/dev/sdb or /dev/nvme1n1 (lsblk lists them)",
                    path));
  std::string sys = fmt::format("/sys/dev/block/{}:{}", major(st.st_rdev), minor(st.st_rdev));
  if (sys::exists(sys + "/partition"))
    return fail_msg(
        fmt::format("{} is a partition. Fix: name the whole disk it is on; Keel's "
                    "image brings its own partition table",
                    path));
  char real[PATH_MAX];
  if (!::realpath(sys.c_str(), real)) return fail_errno("realpath " + sys);
  std::string name = std::string(real).substr(std::string(real).rfind('/') + 1);
  TRY(check_unused(path, name));
  Target t{path, 0, {}};
  auto fd = TRY(sys::open(path, O_RDONLY | O_CLOEXEC));
  if (::ioctl(fd.get(), BLKGETSIZE64, &t.bytes) < 0) return fail_errno("BLKGETSIZE64 " + path);
  t.found = TRY(signatures(path));
  return t;
}

}  // namespace keel::install
