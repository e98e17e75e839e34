// keel-compose live: the live ISO and PXE bundle of a composed image (live_bundle.hpp).
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "keel/common/log.hpp"
#include "keel/common/sys.hpp"
#include "keel/compose/live_bundle.hpp"

namespace keel::compose {

namespace {

constexpr const char* kUsage =
    "usage: keel-compose live IMAGE_DIR [--out DIR] [--append ARG]...\n"
    "Writes DIR (default IMAGE_DIR/live): keel-live.iso (UEFI, GRUB EFI) and the PXE\n"
    "bundle pxe/vmlinuz, pxe/initramfs.img, pxe/rootfs.img (pxe/cmdline: the kernel\n"
    "arguments), with manifest.json listing their sizes. The live system runs from RAM.\n"
    "--append ARG adds a kernel argument to the ISO's boot entry, e.g.\n"
    "  --append keel.install.to=/dev/sda --append keel.install.reboot  (unattended install)\n";

bool parse(int argc, char** argv, LiveOptions& o) {
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--out" && i + 1 < argc)
      o.out_dir = argv[++i];
    else if (arg == "--append" && i + 1 < argc)
      o.extra_args.emplace_back(argv[++i]);
    else if (!arg.starts_with("-") && o.image_dir.empty())
      o.image_dir = arg;
    else
      return false;
  }
  if (o.out_dir.empty()) o.out_dir = o.image_dir + "/live";
  return !o.image_dir.empty();
}

Result<void> write_manifest(const std::string& out, const LiveBundle& b) {
  nlohmann::json m = {{"kernel_args", b.kernel_args}, {"files", nlohmann::json::object()}};
  for (const auto& f : b.files) m["files"][f.name] = {{"bytes", f.bytes}};
  return sys::write_file_atomic(out + "/manifest.json", m.dump(2) + "\n");
}

}  // namespace

int live_main(int argc, char** argv) {
  LiveOptions o;
  if (!parse(argc, argv, o)) {
    fmt::print(stderr, "{}", kUsage);
    return 2;
  }
  auto b = write_live_bundle(o);
  if (b) {
    for (const auto& f : b->files)
      fmt::print("{:<18} {:>8.1f} MiB  {}/{}\n", f.name, static_cast<double>(f.bytes) / (1 << 20),
                 o.out_dir, f.name);
    fmt::print("kernel arguments: {}\n", b->kernel_args);
    if (auto m = write_manifest(o.out_dir, *b); !m) {
      log::error("keel-compose", "live: {}", m.error().message());
      return 1;
    }
    return 0;
  }
  log::error("keel-compose", "live: {}", b.error().message());
  return 1;
}

}  // namespace keel::compose
