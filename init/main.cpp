// keel-init: PID 1 of Keel. Which stage runs is decided the way systemd does it:
// /etc/initrd-release marks the initramfs (os-release(5)); PID 1 without it is the
// real root. Not PID 1: the `supervise` harness for tests. See docs/ARCHITECTURE.md.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "keel/common/log.hpp"
#include "keel/common/sys.hpp"
#include "keel/init/stages.hpp"

#ifndef KEEL_VERSION
#define KEEL_VERSION "0.0.0"
#endif

namespace {

void usage() {
  std::fputs(
      "usage: keel-init                 (as PID 1: initramfs or real-root stage)\n"
      "       keel-init supervise --containers DIR [--containers DIR2 ...]\n"
      "                 --runtime PATH [--shutdown-when-done] [--grace-ms N]\n"
      "                 [--control SOCKET] [--log-dir DIR] [--notify-dir DIR]\n"
      "                 [--firstboot-status FILE]\n"
      "       keel-init --version\n",
      stderr);
}

// Returns false on a bad argument. Later --containers directories override earlier ones.
bool parse_supervise_args(int argc, char** argv, keel::init::SupervisorConfig& config) {
  config.runtime.clear();
  for (int i = 2; i < argc; ++i) {
    std::string_view a = argv[i];
    bool has_value = i + 1 < argc;
    if (a == "--containers" && has_value) {
      config.container_dirs.emplace_back(argv[++i]);
    } else if (a == "--runtime" && has_value) {
      config.runtime = argv[++i];
    } else if (a == "--grace-ms" && has_value) {
      config.grace_override = std::chrono::milliseconds(std::atoi(argv[++i]));
    } else if (a == "--control" && has_value) {
      config.control_socket = argv[++i];
    } else if (a == "--log-dir" && has_value) {
      config.log_dir = argv[++i];
    } else if (a == "--notify-dir" && has_value) {
      config.notify_dir = argv[++i];
    } else if (a == "--firstboot-status" && has_value) {
      config.firstboot_status = argv[++i];
    } else if (a == "--shutdown-when-done") {
      config.shutdown_when_done = keel::init::ShutdownAction::poweroff;
    } else {
      std::fprintf(stderr, "keel-init supervise: unexpected argument '%s'\n", argv[i]);
      return false;
    }
  }
  if (config.container_dirs.empty() || config.runtime.empty()) {
    std::fputs("keel-init supervise: --containers and --runtime are required\n", stderr);
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  keel::log::set_boot_timestamps(true);
  if (::getpid() == 1) {
    // The kernel passes unknown command-line words as argv: ignore them as PID 1.
    if (keel::sys::exists("/etc/initrd-release")) keel::init::run_initramfs_stage();
    keel::init::run_real_root_stage();
  }
  std::string_view cmd = argc > 1 ? argv[1] : "";
  if (cmd == "--version") {
    std::printf("keel-init %s\n", KEEL_VERSION);
    return 0;
  }
  if (cmd == "supervise") {
    keel::init::SupervisorConfig config;
    if (!parse_supervise_args(argc, argv, config)) {
      usage();
      return 2;
    }
    return keel::init::run_supervise_harness(config);
  }
  usage();
  return 2;
}
