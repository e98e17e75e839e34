// keel-firstboot: applies a host's user-data on its first boot (docs/FIRSTBOOT.md).
// keel-init runs `keel-firstboot local` before the hostname is set and any container
// starts; on clouds a container runs `keel-firstboot metadata` once the network is up.
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "commands.hpp"
#include "keel/common/log.hpp"

namespace {

void usage() {
  std::fputs(
      "usage: keel-firstboot local                (at boot, run by keel-init)\n"
      "       keel-firstboot recover              (undo an interrupted `local`)\n"
      "       keel-firstboot metadata [--url URL] [--tries N]\n"
      "                                           (once the network is up, in a container)\n"
      "       keel-firstboot check FILE [--root DIR]\n"
      "                                           (check user-data against the tree at DIR,\n"
      "                                            default /, and show what it would write)\n",
      stderr);
}

}  // namespace

int main(int argc, char** argv) {
  std::string_view cmd = argc > 1 ? argv[1] : "";
  keel::firstboot::Paths paths;
  keel::firstboot::MetadataOptions options;
  std::string url = keel::firstboot::kMetadataUrl, file;
  for (int i = 2; i < argc; ++i) {
    std::string_view a = argv[i];
    bool has_value = i + 1 < argc;
    if (a == "--url" && has_value && cmd == "metadata") {
      url = argv[++i];
    } else if (a == "--tries" && has_value && cmd == "metadata") {
      options.tries = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--root" && has_value && cmd == "check") {
      paths.root = argv[++i];
    } else if (cmd == "check" && file.empty() && !a.starts_with("--")) {
      file = argv[i];
    } else {
      std::fprintf(stderr, "keel-firstboot: unexpected argument '%s'\n", argv[i]);
      usage();
      return 2;
    }
  }
  if (cmd == "check" && !file.empty()) return keel::firstboot::run_check(file, paths, stdout);
  // At boot the lines go to the console among keel-init's, timed the same way.
  keel::log::set_boot_timestamps(cmd == "local" || cmd == "recover");
  if (cmd == "local") return keel::firstboot::run_local(paths);
  if (cmd == "recover") return keel::firstboot::run_recover(paths);
  if (cmd == "metadata") return keel::firstboot::run_metadata(paths, url, options);
  usage();
  return 2;
}
