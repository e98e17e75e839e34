// The minimal /dev every container gets (runtime-spec "config-linux.md#default-devices"
// and "#dev-symbolic-links").
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "child.hpp"

namespace keel::runtime {
namespace {

struct Device {
  const char* name;
  unsigned major, minor;
};

constexpr Device kDevices[] = {{"null", 1, 3},   {"zero", 1, 5},    {"full", 1, 7},
                               {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0}};

constexpr const char* kLinks[][2] = {{"fd", "/proc/self/fd"},
                                     {"stdin", "/proc/self/fd/0"},
                                     {"stdout", "/proc/self/fd/1"},
                                     {"stderr", "/proc/self/fd/2"},
                                     {"ptmx", "pts/ptmx"}};

// Where mknod is not allowed (EPERM, e.g. a user namespace) bind the host's node.
ChildErr bind_host_device(int devfd, const Device& d) {
  int f = ::openat(devfd, d.name, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0666);
  if (f < 0) return child_err("create", d.name);
  ::close(f);
  int target = ::openat(devfd, d.name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (target < 0) return child_err("open", d.name);
  char host[32], path[64];
  std::snprintf(host, sizeof host, "/dev/%s", d.name);
  std::snprintf(path, sizeof path, "/proc/self/fd/%d", target);
  int r = ::mount(host, path, nullptr, MS_BIND, nullptr);
  ::close(target);
  return r < 0 ? child_err("bind mount", host) : ChildErr{};
}

}  // namespace

ChildErr child_make_devices(int rootfd) {
  ::mkdirat(rootfd, "dev", 0755);
  int devfd = ::openat(rootfd, "dev", O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (devfd < 0) return child_err("open", "/dev");
  ChildErr e;
  for (const auto& d : kDevices) {
    if (::mknodat(devfd, d.name, S_IFCHR | 0666, makedev(d.major, d.minor)) == 0) continue;
    if (errno == EEXIST) continue;
    if (errno != EPERM || (e = bind_host_device(devfd, d))) {
      if (!e) e = child_err("mknod", d.name);
      break;
    }
  }
  for (const auto& l : kLinks) {
    if (e) break;
    if (::symlinkat(l[1], devfd, l[0]) < 0 && errno != EEXIST) e = child_err("symlink", l[0]);
  }
  ::close(devfd);
  return e;
}

}  // namespace keel::runtime
