// Initramfs stage: keel-init as /init. Does what ostree-prepare-root and
// systemd-switch-root do for an OSTree system (PLATFORM-NOTES.md "What
// ostree-prepare-root does"), one function per step so a failure names its step.
#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <fmt/format.h>

#include <chrono>

#include "keel/common/log.hpp"
#include "keel/common/sys.hpp"
#include "keel/init/block_device.hpp"
#include "keel/init/cmdline.hpp"
#include "keel/init/live.hpp"
#include "keel/init/modules.hpp"
#include "keel/init/ostree_root.hpp"
#include "keel/init/shutdown.hpp"
#include "keel/init/stages.hpp"

namespace keel::init {

namespace {

constexpr std::string_view kLog = "keel-init";
constexpr const char* kSysroot = "/sysroot";
constexpr auto kRootTimeout = std::chrono::seconds(30);

Result<void> mount_fs(const char* fstype, const std::string& target, unsigned long flags,
                      const char* data = nullptr) {
  TRY(sys::mkdir_p(target));
  auto r = sys::mount(fstype, target, fstype, flags, data);
  if (!r && r.error().code() == EBUSY) return {};  // the kernel mounted it already
  return r;
}

Result<void> mount_early_filesystems() {
  TRY(mount_fs("proc", "/proc", MS_NOSUID | MS_NODEV | MS_NOEXEC));
  TRY(mount_fs("sysfs", "/sys", MS_NOSUID | MS_NODEV | MS_NOEXEC));
  TRY(mount_fs("devtmpfs", "/dev", MS_NOSUID, "mode=0755"));
  TRY(mount_fs("tmpfs", "/run", MS_NOSUID | MS_NODEV, "mode=0755"));
  return {};
}

// The kernel opens /dev/console for init only if the initramfs has the node
// (init/main.c console_on_rootfs()); otherwise fds 0-2 are closed and every log is lost.
void ensure_console() {
  if (::fcntl(2, F_GETFD) >= 0) return;
  int fd = ::open("/dev/console", O_RDWR | O_NOCTTY);
  if (fd < 0) return;
  for (int i = 0; i < 3; ++i)
    if (::fcntl(i, F_GETFD) < 0) ::dup2(fd, i);
  if (fd > 2) ::close(fd);
}

Result<KernelCmdline> read_cmdline() {
  auto text = TRY(sys::read_file("/proc/cmdline"));
  KernelCmdline cmd = parse_cmdline(text);
  for (const auto& w : cmd.warnings) log::warn(kLog, "{}", w);
  return cmd;
}

// list_path: /etc/keel/initramfs-modules, or initramfs-live-modules (the loop driver)
// for a live boot.
Result<void> load_initramfs_modules(const char* list_path) {
  if (!sys::exists(list_path)) return {};  // everything needed is built in
  auto list = parse_module_list(TRY(sys::read_file(list_path)));
  utsname u{};
  ::uname(&u);
  std::string dir = std::string("/usr/lib/modules/") + u.release + "/";
  for (const auto& m : list) {
    // Not fatal: a driver may be built into this kernel. If the root disk needed
    // it, the root search below fails with the list of devices seen.
    if (auto r = load_module(dir + m); !r)
      log::warn(kLog, "loading module {}: {}", m, r.error().message());
  }
  log::info(kLog, "{} kernel modules processed ({})", list.size(), list_path);
  return {};
}

Result<std::string> find_root(const KernelCmdline& cmd) {
  if (cmd.live) {
    TRY_CTX(load_initramfs_modules("/etc/keel/initramfs-live-modules"),
            "loading the live system's modules");
    if (!sys::exists(kLiveRoot))
      return fail_msg(
          fmt::format("keel.live is set but the initramfs has no {}. Fix: boot the live media's "
                      "rootfs.img as a second initrd (keel-compose live writes it)",
                      kLiveRoot));
    auto dev = TRY(attach_loop(kLiveRoot));
    log::info(kLog, "live system: root file system {} on {}", kLiveRoot, dev);
    return dev;
  }
  if (cmd.root.starts_with("/dev/")) return cmd.root;  // root=/dev/vda2 also works
  if (cmd.root_label.empty())
    return fail_msg("the kernel command line has no root=LABEL=<label> (found root=" + cmd.root +
                    ")");
  auto dev = TRY(wait_for_device_by_label(cmd.root_label, BlockPaths{}, kRootTimeout));
  log::info(kLog, "found root filesystem LABEL={} on {}", cmd.root_label, dev);
  return dev;
}

// systemd-switch-root moves these instead of remounting them (switch-root.c).
Result<void> move_api_mounts(const std::string& newroot) {
  for (const char* m : {"/dev", "/proc", "/sys", "/run"}) {
    std::string target = newroot + m;
    TRY_CTX(sys::mount(m, target, nullptr, MS_MOVE), std::string("moving ") + m);
  }
  return {};
}

// Frees the initramfs' memory: deletes the old root's files, staying on its
// filesystem (busybox switch_root delete_contents()). Best effort.
void delete_contents(int dirfd, dev_t rootdev) {
  DIR* d = ::fdopendir(dirfd);
  if (!d) {
    ::close(dirfd);
    return;
  }
  while (dirent* e = ::readdir(d)) {
    std::string_view n = e->d_name;
    if (n == "." || n == "..") continue;
    struct stat st;
    if (::fstatat(::dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) continue;
    if (st.st_dev != rootdev) continue;  // a mount point: not ours to delete
    if (S_ISDIR(st.st_mode)) {
      int sub = ::openat(::dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub >= 0) delete_contents(sub, rootdev);
    }
    ::unlinkat(::dirfd(d), e->d_name, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0);
  }
  ::closedir(d);
}

// switch_root for an initramfs: the rootfs cannot be pivot_root'ed away
// (pivot_root(2) EINVAL on rootfs), so move the new root over / and chroot into it,
// as busybox switch_root and systemd's switch_root() do.
Result<void> switch_root(const std::string& newroot) {
  auto old_root = TRY(sys::open("/", O_RDONLY | O_DIRECTORY));
  if (::chdir(newroot.c_str()) < 0) return fail_errno("chdir " + newroot);
  TRY(sys::mount(newroot.c_str(), "/", nullptr, MS_MOVE));
  if (::chroot(".") < 0) return fail_errno("chroot");
  if (::chdir("/") < 0) return fail_errno("chdir /");
  struct statfs sfs;
  struct stat st;
  if (::fstatfs(old_root.get(), &sfs) == 0 && ::fstat(old_root.get(), &st) == 0 &&
      (sfs.f_type == RAMFS_MAGIC || sfs.f_type == TMPFS_MAGIC))
    delete_contents(old_root.release(), st.st_dev);
  return {};
}

Result<void> boot(KernelCmdline& cmd) {
  cmd = TRY_CTX(read_cmdline(), "reading the kernel command line");
  TRY_CTX(load_initramfs_modules("/etc/keel/initramfs-modules"), "loading kernel modules");
  std::string dev = TRY_CTX(find_root(cmd), "finding the root filesystem");
  TRY_CTX(sys::mkdir_p(kSysroot), "creating /sysroot");
  TRY_CTX(sys::mount(dev.c_str(), kSysroot, "ext4", 0), "mounting " + dev + " on /sysroot");
  std::string deployment =
      TRY_CTX(resolve_deployment(kSysroot, cmd.ostree), "finding the OSTree deployment");
  log::info(kLog, "deployment {}", deployment);
  TRY_CTX(prepare_deployment(kSysroot, deployment), "preparing the deployment");
  if (cmd.live) TRY_CTX(keep_live_files(), "keeping the live media's files in /run");
  TRY_CTX(move_api_mounts(deployment), "moving /dev, /proc, /sys, /run into the deployment");
  TRY_CTX(switch_root(deployment), "switching root to " + deployment);
  const char* init = "/usr/bin/keel-init";
  char* argv[] = {const_cast<char*>(init), nullptr};
  ::execv(init, argv);
  return fail_errno(std::string("executing ") + init);
}

}  // namespace

void run_initramfs_stage() {
  auto early = mount_early_filesystems();
  ensure_console();
  log::info(kLog, "starting in the initramfs");
  if (!early) emergency("mounting /proc, /sys, /dev and /run: " + early.error().message(), false);
  KernelCmdline cmd;
  auto r = boot(cmd);
  emergency("initramfs stage failed: " + r.error().message(), cmd.panic_reboot);
}

}  // namespace keel::init
