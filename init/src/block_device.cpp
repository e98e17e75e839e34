#include "keel/init/block_device.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <vector>

#include "keel/common/sys.hpp"
#include "keel/init/ext4.hpp"

namespace keel::init {

namespace {

std::vector<std::string> list_block_devices(const std::string& sys_block) {
  std::vector<std::string> names;
  DIR* d = ::opendir(sys_block.c_str());
  if (!d) return names;
  while (dirent* e = ::readdir(d))
    if (e->d_name[0] != '.') names.emplace_back(e->d_name);
  ::closedir(d);
  return names;
}

// Throws away the queued inotify events: they only mean "rescan".
void drain_inotify(int fd) {
  alignas(inotify_event) char buf[4096];
  while (::read(fd, buf, sizeof buf) > 0) {
  }
}

}  // namespace

std::string find_device_by_label(const std::string& label, const BlockPaths& paths) {
  for (const auto& name : list_block_devices(paths.sys_block)) {
    std::string dev = paths.dev + "/" + name;
    // Unreadable devices (no medium, node not created yet) are simply not it.
    auto got = read_ext4_label(dev);
    if (got && *got && **got == label) return dev;
  }
  return {};
}

Result<std::string> wait_for_device_by_label(const std::string& label, const BlockPaths& paths,
                                             std::chrono::milliseconds timeout) {
  // Watch first, scan second: a device created between the two still wakes us.
  UniqueFd ino(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
  if (!ino) return fail_errno("inotify_init1");
  if (::inotify_add_watch(ino.get(), paths.dev.c_str(), IN_CREATE | IN_MOVED_TO) < 0)
    return fail_errno("inotify_add_watch " + paths.dev);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    std::string dev = find_device_by_label(label, paths);
    if (!dev.empty()) return dev;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{ino.get(), POLLIN, 0};
    int n = ::poll(&p, 1, static_cast<int>(left.count()));
    if (n < 0 && errno != EINTR) return fail_errno("poll");
    if (n > 0) drain_inotify(ino.get());
  }
  std::string seen;
  for (const auto& name : list_block_devices(paths.sys_block)) seen += " " + name;
  return fail_msg(fmt::format(
      "no ext4 filesystem labelled '{}' appeared within {} ms (block devices:{}); check "
      "root=LABEL= and that /etc/keel/initramfs-modules lists the storage driver",
      label, timeout.count(), seen.empty() ? " none" : seen));
}

}  // namespace keel::init
