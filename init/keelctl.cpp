// keelctl: see and steer keel-init over its control socket (docs/KEELCTL.md).
#include <cstdio>
#include <string>
#include <vector>

#include "keel/init/keelctl.hpp"

namespace {

constexpr const char* kUsage =
    "usage: keelctl [--socket PATH] [--json] status\n"
    "       keelctl [--socket PATH] [--json] logs [-f] [-n LINES] NAME   (NAME keel-init: the "
    "init's own)\n"
    "       keelctl [--socket PATH] [--json] start|stop|restart NAME\n"
    "       keelctl [--runtime PATH] exec NAME [--] COMMAND [ARG...]\n"
    "       keelctl [--socket PATH] reboot|poweroff\n"
    "       keelctl [--json] check-kernel [--config PATH]   (exit 1: the kernel lacks "
    "something)\n";

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && (args[0] == "--help" || args[0] == "help")) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  auto cmd = keel::init::parse_keelctl_args(args);
  if (!cmd) {
    std::fprintf(stderr, "keelctl: %s\n%s", cmd.error().message().c_str(), kUsage);
    return 2;
  }
  return keel::init::run_keelctl(*cmd, stdout, stderr);
}
