// keel-growfs [MOUNTPOINT]: grows the partition holding MOUNTPOINT (default /) and its
// ext4 filesystem into the free space after it. keel-init runs it at boot when sysfs
// shows such space; it is safe to run again (nothing to grow is success).
#include <fmt/format.h>
#include <sys/stat.h>

#include "keel/common/log.hpp"
#include "keel/growfs/growfs.hpp"

namespace {

constexpr const char* kLog = "keel-growfs";

double mib(uint64_t bytes) {
  return static_cast<double>(bytes) / (1 << 20);
}

keel::Result<void> run(const std::string& mountpoint) {
  struct stat st;
  if (::stat(mountpoint.c_str(), &st) < 0) return keel::fail_errno("stat " + mountpoint);
  auto p = TRY_CTX(keel::partition_of(st.st_dev), "finding " + mountpoint + "'s partition");
  uint64_t room = keel::growable_sectors(p) * 512;
  if (room < keel::growfs::kMinGrowBytes) {
    keel::log::info(kLog, "{}: nothing to grow ({:.1f} MiB free after it)", p.partition, mib(room));
    return {};
  }
  uint64_t bytes = TRY(keel::growfs::grow_partition(p));
  keel::log::info(kLog, "{}: partition {} of {} grown from {:.0f} MiB to {:.0f} MiB", p.partition,
                  p.number, p.disk, mib(p.sectors * 512), mib(bytes));
  auto fs = TRY(keel::growfs::grow_ext4(mountpoint, bytes));
  keel::log::info(kLog, "{}: ext4 filesystem grown from {:.0f} MiB to {:.0f} MiB", mountpoint,
                  mib(fs.before), mib(fs.after));
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
    fmt::print(stderr, "usage: keel-growfs [MOUNTPOINT]\n");
    return 2;
  }
  if (auto r = run(argc == 2 ? argv[1] : "/"); !r) {
    keel::log::error(kLog, "{}", r.error().message());
    return 1;
  }
  return 0;
}
