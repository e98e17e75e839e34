// Mounts for the container (runtime-spec "config.md#mounts", "config-linux.md#masked-paths",
// "#readonly-paths") and the pivot_root into its rootfs.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstring>
#include <string_view>

#include "child.hpp"
#include "entry_path.hpp"
#include "propagation.hpp"
#include "spec_isolation.hpp"

namespace keel::runtime {
namespace {

struct MountOption {
  std::string_view name;
  bool clear;  // "rw", "suid", ...: turns the flag off
  unsigned long flag;
};

// mount(8) option names, as runc and crun accept them.
constexpr MountOption kOptions[] = {
    {"ro", false, MS_RDONLY},
    {"rw", true, MS_RDONLY},
    {"nosuid", false, MS_NOSUID},
    {"suid", true, MS_NOSUID},
    {"nodev", false, MS_NODEV},
    {"dev", true, MS_NODEV},
    {"noexec", false, MS_NOEXEC},
    {"exec", true, MS_NOEXEC},
    {"sync", false, MS_SYNCHRONOUS},
    {"async", true, MS_SYNCHRONOUS},
    {"noatime", false, MS_NOATIME},
    {"relatime", false, MS_RELATIME},
    {"strictatime", false, MS_STRICTATIME},
    {"nodiratime", false, MS_NODIRATIME},
    {"bind", false, MS_BIND},
    {"rbind", false, MS_BIND | MS_REC},
};

Result<ChildMount> plan_mount(const SpecMount& m) {
  ChildMount c;
  c.target = TRY_CTX(clean_entry_path(m.destination.substr(1)), "mount " + m.destination);
  if (c.target.empty()) return fail_msg("mount " + m.destination + ": cannot mount over /");
  c.source = m.source;
  c.type = m.type;
  for (const auto& o : m.options) {
    const MountOption* found = nullptr;
    for (const auto& k : kOptions)
      if (k.name == o) found = &k;
    if (found && found->clear)
      c.flags &= ~found->flag;
    else if (found)
      c.flags |= found->flag;
    else if (unsigned long p = propagation_flags(o))
      c.propagation.push_back(p);
    else
      c.data += (c.data.empty() ? "" : ",") + o;
  }
  if (m.type == "bind") c.flags |= MS_BIND;
  c.bind = (c.flags & MS_BIND) != 0;
  if (c.bind) {
    // A bind mount ignores MS_RDONLY; "ro" needs a second, remounting call.
    c.readonly = (c.flags & MS_RDONLY) != 0;
    c.flags &= ~MS_RDONLY;
    struct stat st;
    if (::stat(m.source.c_str(), &st) < 0)
      return fail_errno("mount " + m.destination + ": stat " + m.source);
    c.file_target = !S_ISDIR(st.st_mode);
  }
  return c;
}

// Opens rel below rootfd one component at a time with O_NOFOLLOW, creating
// directories (and the last component as a file when `file`), so a symlink in the
// image cannot redirect a mount onto the host. Returns an O_PATH fd or -1.
int open_target(int rootfd, const char* rel, bool file, ChildErr& e) {
  char buf[PATH_MAX];
  if (std::snprintf(buf, sizeof buf, "%s", rel) >= static_cast<int>(sizeof buf)) {
    errno = ENAMETOOLONG;
    e = child_err("open", rel);
    return -1;
  }
  int dir = rootfd;
  char* comp = buf;
  for (;;) {
    char* slash = std::strchr(comp, '/');
    if (slash) *slash = '\0';
    bool last = slash == nullptr;
    if (last && file) {
      int f = ::openat(dir, comp, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
      if (f >= 0) ::close(f);
    } else {
      ::mkdirat(dir, comp, 0755);  // EEXIST is fine; the open below reports real errors
    }
    int flags = O_PATH | O_NOFOLLOW | O_CLOEXEC | (last && file ? 0 : O_DIRECTORY);
    int next = ::openat(dir, comp, flags);
    if (dir != rootfd) ::close(dir);
    if (next < 0) {
      e = child_err("open mount target", rel);
      return -1;
    }
    if (last) return next;
    dir = next;
    comp = slash + 1;
  }
}

void fd_path(char (&buf)[64], int fd) {
  std::snprintf(buf, sizeof buf, "/proc/self/fd/%d", fd);
}

ChildErr child_mount_one(int rootfd, const ChildMount& m) {
  ChildErr e;
  int fd = open_target(rootfd, m.target.c_str(), m.file_target, e);
  if (fd < 0) return e;
  char path[64];
  fd_path(path, fd);
  const char* data = m.data.empty() ? nullptr : m.data.c_str();
  int r = ::mount(m.source.c_str(), path, m.type.c_str(), m.flags, data);
  ::close(fd);
  if (r < 0) return child_err("mount", m.target.c_str());
  if (!m.readonly && m.propagation.empty()) return {};
  // Reopen: the old fd still points below the new mount, the remount must hit it.
  fd = open_target(rootfd, m.target.c_str(), m.file_target, e);
  if (fd < 0) return e;
  fd_path(path, fd);
  unsigned long keep = m.flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_REC);
  if (m.readonly &&
      ::mount(nullptr, path, nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY | keep, nullptr) < 0)
    e = child_err("remount read-only", m.target.c_str());
  if (!e) e = child_mount_propagation(m, path);
  ::close(fd);
  return e;
}

}  // namespace

std::vector<std::string> known_mount_options() {
  std::vector<std::string> out;
  for (const auto& k : kOptions) out.emplace_back(k.name);
  for (auto& p : propagation_names()) out.push_back(std::move(p));
  return out;
}

ChildErr child_err(const char* call, const char* object) {
  return {call, object, errno};
}

Result<std::vector<ChildMount>> plan_mounts(const std::vector<SpecMount>& mounts) {
  std::vector<ChildMount> out;
  for (const auto& m : mounts) out.push_back(TRY(plan_mount(m)));
  return out;
}

ChildErr child_prepare_rootfs(const ChildPlan& plan) {
  // No mount event may leak back to the host unless rootfsPropagation says shared.
  if (ChildErr e = child_root_propagation(plan)) return e;
  // pivot_root(2) needs new_root to be a mount point.
  if (::mount(plan.rootfs.c_str(), plan.rootfs.c_str(), nullptr, MS_BIND | MS_REC, nullptr) < 0)
    return child_err("bind mount rootfs", plan.rootfs.c_str());
  int rootfd = ::open(plan.rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0) return child_err("open", plan.rootfs.c_str());
  ChildErr e;
  for (const auto& m : plan.mounts)
    if ((e = child_mount_one(rootfd, m))) break;
  if (!e) e = child_make_devices(rootfd);
  ::close(rootfd);
  return e;
}

ChildErr child_pivot_root(const ChildPlan& plan) {
  // pivot_root(".", ".") stacks the old root on top of the new one; unmounting "."
  // then drops the old root without needing a directory for it (pivot_root(2) NOTES).
  if (::chdir(plan.rootfs.c_str()) < 0) return child_err("chdir", plan.rootfs.c_str());
  if (::syscall(SYS_pivot_root, ".", ".") < 0) return child_err("pivot_root", "");
  if (::umount2(".", MNT_DETACH) < 0) return child_err("umount old root", "");
  if (::chdir("/") < 0) return child_err("chdir", "/");
  return {};
}

ChildErr child_finish_mounts(const ChildPlan& plan) {
  // maskedPaths: hide with /dev/null (files) or an empty read-only tmpfs (dirs).
  for (const auto& p : plan.masked_paths) {
    struct stat st;
    if (::stat(p.c_str(), &st) < 0) continue;  // absent paths need no mask
    int r = S_ISDIR(st.st_mode) ? ::mount("tmpfs", p.c_str(), "tmpfs", MS_RDONLY, nullptr)
                                : ::mount("/dev/null", p.c_str(), nullptr, MS_BIND, nullptr);
    if (r < 0) return child_err("mask", p.c_str());
  }
  for (const auto& p : plan.readonly_paths) {
    if (::access(p.c_str(), F_OK) < 0) continue;
    if (::mount(p.c_str(), p.c_str(), nullptr, MS_BIND | MS_REC, nullptr) < 0 ||
        ::mount(nullptr, p.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_REC, nullptr) <
            0)
      return child_err("make read-only", p.c_str());
  }
  if (plan.root_readonly &&
      ::mount(nullptr, "/", nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr) < 0)
    return child_err("remount / read-only", "");
  return child_final_root_propagation(plan);
}

}  // namespace keel::runtime
