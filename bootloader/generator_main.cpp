// keel-grub-generator: grub.cfg from OSTree's boot entries (docs/BOOT.md). libostree's
// grub2 backend runs it as `keel-grub-generator -o <sysroot>/boot/loader.N/grub.cfg`
// when OSTREE_GRUB2_EXEC names it.
#include <cstdio>
#include <string>

#include "keel/bootloader/generator.hpp"

namespace {

constexpr const char* kUsage =
    "usage: keel-grub-generator -o SYSROOT/boot/loader.N/grub.cfg\n"
    "Writes grub.cfg from the boot entries in SYSROOT/boot/loader.N/entries, newest\n"
    "deployment first, with Keel's boot counter (docs/BOOT.md).\n";

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::string(argv[1]) == "--help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (argc != 3 || std::string(argv[1]) != "-o") {
    std::fputs(kUsage, stderr);
    return 2;
  }
  auto r = keel::bootloader::generate_grub_cfg(argv[2]);
  if (!r) {
    // libostree shows this only with OSTREE_DEBUG_GRUB2 set; keel-compose sets it.
    std::fprintf(stderr, "error keel-grub-generator: %s\n", r.error().message().c_str());
    return 1;
  }
  return 0;
}
