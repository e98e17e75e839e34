#include "keel/init/live.hpp"

#include <fcntl.h>
#include <linux/loop.h>
#include <sys/ioctl.h>
#include <sys/mount.h>

#include <chrono>
#include <cstring>

#include <fmt/format.h>

#include "keel/common/log.hpp"
#include "keel/common/sys.hpp"
#include "keel/init/bounded_run.hpp"

namespace keel::init {

namespace {
constexpr std::string_view kLog = "keel-init";
// Writing and reading back a few GB onto a slow USB disk stays well inside this.
constexpr auto kInstallTimeout = std::chrono::minutes(30);
constexpr const char* kInstaller = "/usr/bin/keel-install";
}  // namespace

Result<std::string> attach_loop(const std::string& image) {
  auto control = TRY(sys::open("/dev/loop-control", O_RDWR | O_CLOEXEC));
  int n = ::ioctl(control.get(), LOOP_CTL_GET_FREE);
  if (n < 0) return fail_errno("LOOP_CTL_GET_FREE on /dev/loop-control");
  std::string dev = "/dev/loop" + std::to_string(n);
  auto file = TRY(sys::open(image, O_RDWR | O_CLOEXEC));
  auto loop = TRY(sys::open(dev, O_RDWR | O_CLOEXEC));
  // No LO_FLAGS_AUTOCLEAR: the device stays attached after our fds close; the mount
  // holds it from then on (loop(4) LOOP_CONFIGURE, Linux >= 5.8).
  loop_config config{};
  config.fd = static_cast<uint32_t>(file.get());
  std::strncpy(reinterpret_cast<char*>(config.info.lo_file_name), image.c_str(), LO_NAME_SIZE - 1);
  if (::ioctl(loop.get(), LOOP_CONFIGURE, &config) < 0)
    return fail_errno("LOOP_CONFIGURE " + dev + " with " + image);
  return dev;
}

Result<void> keep_live_files() {
  TRY(sys::mkdir_p(kLiveRunDir, 0755));
  for (const auto& name : TRY(sys::list_dir(kLiveDir))) {
    std::string from = std::string(kLiveDir) + "/" + name;
    if (from == kLiveRoot) continue;  // the loop device holds it
    std::string to = std::string(kLiveRunDir) + "/" + name;
    TRY(sys::open(to, O_WRONLY | O_CREAT | O_CLOEXEC, 0444));
    TRY_CTX(sys::mount(from.c_str(), to, nullptr, MS_BIND), "binding " + from + " on " + to);
  }
  return {};
}

namespace {

Result<std::vector<std::string>> installer_argv(const std::string& disk) {
  std::string dir = kLiveRunDir;
  std::string image = dir + "/" + kLiveImage;
  if (!sys::exists(image))
    return fail_msg(image +
                    " is missing: this live media carries no image to install (it was "
                    "not made by keel-compose live)");
  std::string sum = TRY(sys::read_file(dir + "/" + kLiveImageSha256));
  sum = sum.substr(0, sum.find_first_of(" \t\n"));
  return std::vector<std::string>{kInstaller, "--to", disk, "--image", image, "--sha256", sum};
}

Result<void> install(const std::string& disk) {
  auto argv = TRY(installer_argv(disk));
  log::info(kLog, "install: writing {} onto {} with {}", argv[4], disk, kInstaller);
  auto r = TRY(run_bounded(argv, kInstallTimeout));
  if (r.timed_out)
    return fail_msg(fmt::format("{} took longer than {} min and was killed", kInstaller,
                                kInstallTimeout.count()));
  if (r.status != 0) return fail_msg(fmt::format("{} exited with status {}", kInstaller, r.status));
  return {};
}

}  // namespace

std::optional<ShutdownAction> run_live_install(const KernelCmdline& cmd) {
  if (cmd.install_to.empty()) return std::nullopt;
  if (!cmd.live) {
    log::warn(kLog, "keel.install.to={} is ignored: only the live system (keel.live) installs",
              cmd.install_to);
    return std::nullopt;
  }
  if (auto r = install(cmd.install_to); !r) {
    log::error(kLog,
               "install: {}; nothing else is done: the live system runs on (keelctl status, "
               "keelctl logs; keel-install --to DISK by hand)",
               r.error().message());
    return std::nullopt;
  }
  if (!cmd.after_install) {
    log::info(kLog,
              "install: {} is ready; the live system runs on (keel.install.reboot or "
              "keel.install.poweroff would have ended it)",
              cmd.install_to);
    return std::nullopt;
  }
  log::info(kLog, "install: {} is ready; {} now (keel.install.{})", cmd.install_to,
            cmd.after_install == ShutdownAction::reboot ? "rebooting" : "powering off",
            to_string(*cmd.after_install));
  return cmd.after_install;
}

}  // namespace keel::init
