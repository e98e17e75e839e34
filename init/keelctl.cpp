// keelctl: see and steer keel-init over its control socket (docs/KEELCTL.md).
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "keel/init/keelctl.hpp"
#include "keel/update/cli.hpp"

namespace {

constexpr const char* kUsage =
    "usage: keelctl [--socket PATH] [--json] status\n"
    "       keelctl [--socket PATH] [--json] logs [-f] [-n LINES] NAME   (NAME keel-init: the "
    "init's own)\n"
    "       keelctl [--socket PATH] [--json] start|stop|restart NAME\n"
    "       keelctl [--runtime PATH] exec NAME [--] COMMAND [ARG...]\n"
    "       keelctl [--socket PATH] reboot|poweroff\n"
    "       keelctl [--json] check-kernel [--config PATH]   (exit 1: the kernel lacks "
    "something)\n"
    "       keelctl [--sysroot DIR] [--config FILE] [--json] update check|download|apply|auto\n"
    "               [--version V] [--allow-downgrade] [--no-reboot]\n"
    "       keelctl [--sysroot DIR] [--json] rollback [--no-reboot]\n"
    "       keelctl --sysroot DIR [--json] status   (that sysroot's deployments)\n";

// The update commands reboot through keel-init, like `keelctl reboot`.
int reboot_through_init(const std::string& socket) {
  keel::init::KeelctlCommand c;
  if (!socket.empty()) c.socket = socket;
  c.request = {{"method", "reboot"}};
  return keel::init::run_keelctl(c, stdout, stderr);
}

// On a booted OSTree host, `keelctl status` shows the deployments after the containers.
void add_deployments(keel::init::KeelctlCommand& cmd) {
  if (!cmd.request.is_object() || cmd.request.value("method", "") != "status" ||
      ::access("/run/ostree-booted", F_OK) != 0)
    return;
  auto sysroot = keel::update::Sysroot::open("/");
  auto status = sysroot ? keel::update::deployments_status(*sysroot)
                        : keel::Result<nlohmann::json>(std::unexpected(sysroot.error()));
  if (!status) {
    std::fprintf(stderr, "keelctl: deployments: %s\n", status.error().message().c_str());
    return;
  }
  cmd.status_os = *status;
  cmd.status_os_text = keel::update::format_deployments(*status);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && (args[0] == "--help" || args[0] == "help")) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (keel::update::is_update_command(args))
    return keel::update::run_update_cli(args, {.reboot = reboot_through_init}, stdout, stderr);
  auto cmd = keel::init::parse_keelctl_args(args);
  if (!cmd) {
    std::fprintf(stderr, "keelctl: %s\n%s", cmd.error().message().c_str(), kUsage);
    return 2;
  }
  add_deployments(*cmd);
  return keel::init::run_keelctl(*cmd, stdout, stderr);
}
