#include "keel/compose/initramfs_tree.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "keel/compose/elf_deps.hpp"
#include "keel/compose/modules.hpp"

namespace keel::compose {

namespace fs = std::filesystem;

namespace {

using Kind = CpioEntry::Kind;

// Merged /usr inside the initramfs too: /lib64/x -> usr/lib64/x and so on.
std::string archive_path(const std::string& tree_path) {
  std::string p = tree_path.substr(1);
  for (const char* top : {"lib/", "lib64/", "bin/", "sbin/"})
    if (p.starts_with(top)) return "usr/" + p;
  return p;
}

void add_parents(std::set<std::string>& dirs, const std::string& path) {
  for (fs::path p = fs::path(path).parent_path(); !p.empty(); p = p.parent_path())
    dirs.insert(p.string());
}

std::string initrd_release() {
  // /etc/initrd-release tells keel-init (as it tells systemd) that it runs in the initramfs.
  return "NAME=\"Keel initramfs\"\nID=keel\nPRETTY_NAME=\"Keel initramfs\"\n";
}

}  // namespace

Result<std::vector<CpioEntry>> initramfs_entries(const InitramfsInput& in) {
  std::vector<CpioEntry> files;
  files.push_back({Kind::file, "init", in.init_binary, 0755});
  for (const auto& lib : TRY(library_closure(in.rootfs, in.init_binary)))
    files.push_back({Kind::file, archive_path(lib), in.rootfs + lib, 0755});
  std::string moddir = "usr/lib/modules/" + in.kver;
  auto mods = TRY(module_closure(in.rootfs + "/" + moddir, in.modules));
  std::string list;
  for (const auto& m : mods) {
    files.push_back({Kind::file, moddir + "/" + m, in.rootfs + "/" + moddir + "/" + m, 0644});
    list += m + "\n";
  }
  files.push_back({Kind::text, "etc/keel/initramfs-modules", list, 0644});
  std::string live_list;
  for (const auto& m : TRY(module_closure(in.rootfs + "/" + moddir, in.live_modules))) {
    if (std::find(mods.begin(), mods.end(), m) == mods.end())
      files.push_back({Kind::file, moddir + "/" + m, in.rootfs + "/" + moddir + "/" + m, 0644});
    live_list += m + "\n";
  }
  files.push_back({Kind::text, "etc/keel/initramfs-live-modules", live_list, 0644});
  // A driver probing in the initramfs asks for its firmware there (lib -> usr/lib).
  for (const auto& f : in.firmware)
    files.push_back(
        {Kind::file, "usr/lib/firmware/" + f, in.rootfs + "/usr/lib/firmware/" + f, 0644});
  files.push_back({Kind::text, "etc/initrd-release", initrd_release(), 0644});

  std::set<std::string> dirs = {"dev", "proc",    "sys",     "run",      "sysroot",
                                "tmp", "usr/bin", "usr/lib", "usr/lib64"};
  for (const auto& f : files) add_parents(dirs, f.path);
  std::vector<CpioEntry> out;
  for (const auto& d : dirs) out.push_back({Kind::dir, d, {}, 0755});  // std::set: parents first
  for (const char* top : {"bin", "sbin", "lib", "lib64"})
    out.push_back({Kind::symlink, top, std::string("usr/") + (top[0] == 's' ? "bin" : top), 0777});
  // The kernel opens /dev/console before running /init; without it init has no output.
  out.push_back({Kind::char_device, "dev/console", {}, 0600, 5, 1});
  out.insert(out.end(), files.begin(), files.end());
  return out;
}

Result<void> write_initramfs(const InitramfsInput& in, const std::string& out_path) {
  return write_cpio(out_path, TRY(initramfs_entries(in)));
}

}  // namespace keel::compose
