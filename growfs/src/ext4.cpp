#include <fcntl.h>
#include <fmt/format.h>
#include <linux/magic.h>
#include <sys/ioctl.h>
#include <sys/statfs.h>

#include <cerrno>

#include "keel/common/sys.hpp"
#include "keel/growfs/growfs.hpp"

// fs/ext4/ext4.h; Debian 12's kernel headers package has no <linux/ext4.h>.
#ifndef EXT4_IOC_RESIZE_FS
#define EXT4_IOC_RESIZE_FS _IOW('f', 16, uint64_t)
#endif

namespace keel::growfs {

namespace {

Result<struct statfs> stat_fs(int fd, const std::string& path) {
  struct statfs sf {};
  if (::fstatfs(fd, &sf) < 0) return fail_errno("statfs " + path);
  return sf;
}

}  // namespace

Result<FsSize> grow_ext4(const std::string& mountpoint, uint64_t partition_bytes) {
  auto fd = TRY(sys::open(mountpoint, O_RDONLY | O_DIRECTORY));
  auto before = TRY(stat_fs(fd.get(), mountpoint));
  if (before.f_type != EXT4_SUPER_MAGIC)
    return fail_msg(fmt::format("{} is not ext4 (magic {:#x}); only ext4 roots are grown",
                                mountpoint, static_cast<unsigned long>(before.f_type)));
  uint64_t block = static_cast<uint64_t>(before.f_bsize);
  uint64_t blocks = partition_bytes / block;
  if (::ioctl(fd.get(), EXT4_IOC_RESIZE_FS, &blocks) < 0) {
    int err = errno;
    // ext4 refuses online resizing without CAP_SYS_RESOURCE (fs/ext4/ioctl.c).
    return fail(Error::from_errno(
        fmt::format("growing {} to {} blocks of {} bytes{}", mountpoint, blocks, block,
                    err == EPERM ? " (online resizing needs CAP_SYS_RESOURCE)" : ""),
        err));
  }
  auto after = TRY(stat_fs(fd.get(), mountpoint));
  return FsSize{before.f_blocks * block, after.f_blocks * block};
}

}  // namespace keel::growfs
