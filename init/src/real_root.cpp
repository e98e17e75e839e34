// Real-root stage: keel-init as /usr/bin/keel-init in the deployment, and the
// `supervise` harness that runs the same supervisor without being PID 1.
#include <fcntl.h>
#include <selinux/selinux.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <chrono>
#include <climits>
#include <cstdlib>

#include "keel/common/log.hpp"
#include "keel/common/sys.hpp"
#include "keel/firstboot/paths.hpp"
#include "keel/init/bounded_run.hpp"
#include "keel/init/drivers.hpp"
#include "keel/init/grow_root.hpp"
#include "keel/init/live.hpp"
#include "keel/init/selinux_setup.hpp"
#include "keel/init/shutdown.hpp"
#include "keel/init/stages.hpp"
#include "keel/init/sysctl.hpp"
#include "keel/update/config.hpp"

namespace keel::init {

namespace {

constexpr std::string_view kLog = "keel-init";

bool is_mount_point(const std::string& path) {
  struct statx stx {};
  if (::statx(AT_FDCWD, path.c_str(), AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &stx) < 0)
    return false;
  return (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
         (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

struct ApiMount {
  const char* fstype;
  const char* target;
  unsigned long flags;
  const char* data;
};

// What systemd's mount-setup.c mounts early, minus what Keel does not use.
constexpr ApiMount kApiMounts[] = {
    {"proc", "/proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr},
    {"sysfs", "/sys", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr},
    // The active LSM list (/sys/kernel/security/lsm), which keelctl check-kernel reads.
    {"securityfs", "/sys/kernel/security", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr},
    {"devtmpfs", "/dev", MS_NOSUID, "mode=0755"},
    {"devpts", "/dev/pts", MS_NOSUID | MS_NOEXEC, "gid=5,mode=0620,ptmxmode=0666"},
    {"tmpfs", "/dev/shm", MS_NOSUID | MS_NODEV, "mode=1777"},
    {"tmpfs", "/run", MS_NOSUID | MS_NODEV, "mode=0755"},
    // nsdelegate: cgroup namespaces become delegation boundaries (cgroups(7)).
    {"cgroup2", "/sys/fs/cgroup", MS_NOSUID | MS_NODEV | MS_NOEXEC, "nsdelegate"},
    {"tmpfs", "/tmp", MS_NOSUID | MS_NODEV, "mode=1777"},
};

// Failures are logged and the boot goes on: containers may still work without one.
void mount_api_filesystems() {
  for (const auto& m : kApiMounts) {
    if (is_mount_point(m.target)) continue;
    auto r = sys::mkdir_p(m.target);
    if (r) r = sys::mount(m.fstype, m.target, m.fstype, m.flags, m.data);
    if (!r) log::error(kLog, "mounting {} on {}: {}", m.fstype, m.target, r.error().message());
  }
}

// As systemd does: every mount becomes shared, so what is mounted later (a container's
// overlay root under /run/keel/containers) also appears in a system container that
// bound the host's root earlier. keel-runtime makes each container's own root rslave,
// so nothing a container mounts comes back to the host.
void make_mounts_shared() {
  if (auto r = sys::mount(nullptr, "/", nullptr, MS_REC | MS_SHARED, nullptr); !r)
    log::error(kLog, "making the mounts shared: {}", r.error().message());
}

// Containers get memory.max / pids.max in their own groups: the root must delegate
// those controllers first (Documentation/admin-guide/cgroup-v2.rst "Enabling").
void enable_cgroup_controllers() {
  auto avail = sys::read_file("/sys/fs/cgroup/cgroup.controllers");
  if (!avail) {
    log::warn(kLog, "cgroup controllers: {}", avail.error().message());
    return;
  }
  std::string want;
  for (std::string_view c : {"memory", "pids", "cpu", "io"}) {
    std::string padded = " " + *avail + " ";
    for (auto& ch : padded)
      if (ch == '\n') ch = ' ';
    if (padded.find(" " + std::string(c) + " ") != std::string::npos)
      want += (want.empty() ? "+" : " +") + std::string(c);
  }
  if (want.empty()) return;
  if (auto r = sys::write_file("/sys/fs/cgroup/cgroup.subtree_control", want); !r)
    log::warn(kLog, "enabling cgroup controllers '{}': {}", want, r.error().message());
  else
    log::info(kLog, "cgroup controllers enabled: {}", want);
}

void check_usr_readonly() {
  struct statvfs v {};
  if (::statvfs("/usr", &v) < 0)
    log::warn(kLog, "statvfs /usr: {}", Error::from_errno("statvfs").message());
  else if (v.f_flag & ST_RDONLY)
    log::info(kLog, "/usr is read-only");
  else
    log::warn(kLog, "/usr is writable");
}

// First boot (docs/FIRSTBOOT.md): keel-firstboot applies the host's user-data under
// /etc, all or nothing, before the hostname is set and the definitions are read. It
// is its own program so that PID 1 links none of its libraries; its failures are its
// to report (console, /run/keel/firstboot.json): the boot goes on with what /etc has.
// Once its marker exists there is nothing left for it to do, and its exec is skipped,
// as keel-growfs's is when the disk has no room.
void run_first_boot() {
  using firstboot::kBinary, firstboot::kDoneMarker, firstboot::kTxnDir;
  const std::string binary = kBinary;
  // Generous: a config drive is read in well under a second, even under emulation.
  constexpr auto kTimeout = std::chrono::seconds(60);
  if (sys::exists(std::string("/") + kDoneMarker) && !sys::exists(std::string("/") + kTxnDir)) {
    log::info(kLog, "first boot was completed on an earlier boot (/{})", kDoneMarker);
    return;
  }
  if (!sys::exists(binary)) {
    log::warn(kLog, "{} is missing: no first-boot configuration", binary);
    return;
  }
  auto r = run_bounded({binary, "local"}, kTimeout);
  if (!r) {
    log::error(kLog, "first boot: {}", r.error().message());
  } else if (r->timed_out) {
    log::error(kLog, "first boot: {} took longer than {} s and was killed", binary,
               kTimeout.count());
    // It may have been in the middle of writing /etc: undo that now, not next boot.
    auto undo = run_bounded({binary, "recover"}, kTimeout);
    if (!undo || undo->timed_out || undo->status != 0)
      log::error(kLog, "first boot: {} recover failed; /etc may be half-written", binary);
  }
}

void set_hostname() {
  auto text = sys::read_file("/etc/hostname");
  if (!text) return;
  std::string name = text->substr(0, text->find_first_of(" \t\r\n"));
  if (name.empty()) return;
  if (::sethostname(name.data(), name.size()) < 0)
    log::warn(kLog, "sethostname {}: {}", name, Error::from_errno("sethostname").message());
  else
    log::info(kLog, "hostname is {}", name);
}

// The image's settings (/usr/lib/sysctl.d, from [host.sysctl]) and the host's
// (/etc/sysctl.d), before any container starts.
void set_sysctls() {
  auto r = apply_sysctls({"/etc/sysctl.d", "/run/sysctl.d", "/usr/lib/sysctl.d"});
  for (const auto& e : r.errors) log::warn(kLog, "sysctl: {}", e);
  if (r.applied > 0) log::info(kLog, "applied {} sysctl settings", r.applied);
}

// Coldplug: drivers for the devices present (virtio_net for QEMU's NIC, ...).
void load_device_drivers() {
  auto aliases = collect_modaliases();
  auto loaded = load_drivers(aliases);
  if (!loaded)
    log::warn(kLog, "loading drivers for {} devices: {}", aliases.size(), loaded.error().message());
  else
    log::info(
        kLog, "drivers for {} devices: loaded {}", aliases.size(),
        loaded->empty() ? std::string("nothing new") : fmt::format("{}", fmt::join(*loaded, ", ")));
}

std::string describe_deployment(const KernelCmdline& cmd) {
  if (cmd.ostree.empty()) return "no ostree= on the kernel command line";
  char buf[PATH_MAX];
  // The booted deployment is bound on /sysroot/<its path> too (ostree-prepare-root).
  std::string link = "/sysroot" + cmd.ostree;
  return ::realpath(link.c_str(), buf) ? std::string(buf) : cmd.ostree;
}

// Before anything else runs: every process started later inherits its domain from
// init, and files created before the load would keep the kernel's labels.
void setup_selinux(const std::string& cmdline_text, bool panic_reboot) {
  auto state = load_selinux_policy(cmdline_text);
  if (!state) emergency("SELinux: " + state.error().message(), panic_reboot);
  switch (*state) {
    case SelinuxState::disabled:
      log::warn(kLog, "SELinux: no policy loaded and enforcing not required; running without");
      return;
    case SelinuxState::already_loaded:
      log::info(kLog, "SELinux: {}, init runs as {}",
                ::security_getenforce() == 1 ? "enforcing" : "permissive", current_context());
      return;
    case SelinuxState::loaded_now:
      break;
  }
  // The policy's type transition (kernel_t -> init_t on executing init_exec_t) applies
  // only on execve: re-execute ourselves, as systemd does after selinux-setup.
  log::info(kLog, "SELinux: policy loaded; re-executing /usr/bin/keel-init to enter init_t");
  const char* self = "/usr/bin/keel-init";
  char* argv[] = {const_cast<char*>(self), nullptr};
  ::execv(self, argv);
  emergency("SELinux: re-executing " + std::string(self) + ": " +
                Error::from_errno("execv").message() + " (init would stay in kernel_t)",
            panic_reboot);
}

}  // namespace

void run_real_root_stage() {
  auto text = sys::read_file("/proc/cmdline");  // /proc was moved in from the initramfs
  KernelCmdline cmd = parse_cmdline(text ? *text : "");
  setup_selinux(text ? *text : "", cmd.panic_reboot);
  log::info(kLog, "starting in the real root ({})", describe_deployment(cmd));
  for (const auto& w : cmd.warnings) log::warn(kLog, "{}", w);
  // The kernel starts init without PATH. The programs keel-init starts look tools up by
  // it: keelctl update auto's libostree runs `bwrap ... semodule` ("execvp semodule: No
  // such file or directory" without it). systemd gives its services the same default.
  ::setenv("PATH", "/usr/sbin:/usr/bin", 0);
  // With CAD disabled the kernel sends SIGINT to PID 1 on ctrl-alt-del (reboot(2)).
  ::reboot(RB_DISABLE_CAD);
  mount_api_filesystems();
  make_mounts_shared();
  enable_cgroup_controllers();
  check_usr_readonly();
  grow_root_if_room();
  // Drivers first: a config drive's file system and QEMU's fw_cfg need theirs.
  load_device_drivers();
  // The live system's job (keel.install.to): before any container, as keel-growfs.
  if (auto then = run_live_install(cmd)) final_shutdown(*then);
  run_first_boot();
  set_hostname();
  set_sysctls();
  SupervisorConfig config{
      // /run/keel/containers: definitions generated at boot (the first-boot metadata
      // phase), between the image's and the host's, as systemd's /run/systemd/system.
      .container_dirs = {"/usr/lib/keel/containers", "/run/keel/containers",
                         "/etc/keel/containers"},
      .runtime = "/usr/bin/keel-runtime",
      .shutdown_when_done = cmd.shutdown_when_done,
      .control_socket = "/run/keel/control.sock",
      .log_dir = "/var/log/keel",
      .hotplug = true,
      .kmsg = "/dev/kmsg",
      .boot = read_boot_info(cmd),
      .firstboot_status = "/run/keel/firstboot.json",
      .update_keelctl = "/usr/bin/keelctl",
      .update_config_files = {update::kImageConfig, update::kHostConfig},
  };
  if (auto r = sys::mkdir_p("/run/keel", 0755); !r)
    log::error(kLog, "{} (keelctl will not work)", r.error().message());
  auto sup = Supervisor::create(std::move(config));
  if (!sup) emergency("starting the supervisor: " + sup.error().message(), cmd.panic_reboot);
  auto action = (*sup)->run();
  if (!action) emergency("supervisor: " + action.error().message(), cmd.panic_reboot);
  sup->reset();
  final_shutdown(*action);
}

int run_supervise_harness(const SupervisorConfig& config) {
  // Orphans of the containers are reparented to us instead of the real init, so the
  // reaping path is exercised as in PID 1 (prctl(2) PR_SET_CHILD_SUBREAPER).
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
    log::warn(kLog, "PR_SET_CHILD_SUBREAPER: {}", Error::from_errno("prctl").message());
  log::info(kLog, "starting the supervisor (harness mode, pid {})", ::getpid());
  auto sup = Supervisor::create(config);
  if (!sup) {
    log::error(kLog, "starting the supervisor: {}", sup.error().message());
    return 1;
  }
  auto action = (*sup)->run();
  if (!action) {
    log::error(kLog, "supervisor: {}", action.error().message());
    return 1;
  }
  log::info(kLog, "all containers stopped ({}); harness mode: exiting instead", to_string(*action));
  return 0;
}

}  // namespace keel::init
