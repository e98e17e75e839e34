#include "keel/bootloader/generator.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

#include <climits>
#include <cstdlib>
#include <filesystem>

#include "keel/common/sys.hpp"

namespace keel::bootloader {

namespace fs = std::filesystem;

namespace {

// <sysroot>/boot/loader.N/grub.cfg -> <sysroot>; anything else is a misuse.
Result<std::string> sysroot_of(const std::string& output) {
  fs::path out = fs::absolute(output).lexically_normal();
  fs::path loader = out.parent_path(), boot = loader.parent_path();
  std::string ln = loader.filename().string();
  if (!ln.starts_with("loader.") || boot.filename() != "boot")
    return fail_msg(
        fmt::format("{}: expected <sysroot>/boot/loader.N/grub.cfg (OSTree's grub2 "
                    "backend runs the generator as PROG -o that path)",
                    output));
  return boot.parent_path().string();
}

// The deployment directory entry 0 boots: its ostree= argument resolved in the sysroot
// (the boot.N links exist when OSTree runs the generator).
Result<std::string> newest_deployment(const std::string& sysroot, const BlsEntry& e) {
  std::string arg = kernel_arg(e.options, "ostree");
  if (arg.empty()) return fail_msg(fmt::format("{}: the options have no ostree= argument", e.path));
  std::string link = sysroot + arg;
  char buf[PATH_MAX];
  if (!::realpath(link.c_str(), buf))
    return fail_errno(fmt::format("{}: resolving ostree={} (realpath {})", e.path, arg, link));
  return std::string(buf);
}

// "/boot" when /boot is a directory of the filesystem holding /ostree (what Keel's disk
// has); "" when /boot is a filesystem of its own, which GRUB sees with /boot's content at
// its top. The same test as ostree-grub-generator's.
Result<std::string> boot_prefix(const std::string& sysroot) {
  struct stat boot, ostree;
  if (::stat((sysroot + "/boot").c_str(), &boot) < 0)
    return fail_errno("stat " + sysroot + "/boot");
  if (::stat((sysroot + "/ostree").c_str(), &ostree) < 0)
    return fail_errno("stat " + sysroot + "/ostree");
  return std::string(boot.st_dev == ostree.st_dev ? "/boot" : "");
}

}  // namespace

Result<GrubCfgInput> gather_grub_cfg_input(const std::string& output) {
  std::string sysroot = TRY(sysroot_of(output));
  std::string loader = fs::path(output).parent_path().string();
  GrubCfgInput in;
  in.entries = TRY(load_bls_entries(loader + "/entries"));
  in.source = fs::path(loader).filename().string() + "/entries";
  std::string deployment = TRY(newest_deployment(sysroot, in.entries.front()));
  in.newest_id = fs::path(deployment).filename().string();
  std::string settings_path = deployment + "/" + kSettingsInImage;
  if (sys::exists(settings_path)) {
    auto s = TRY_CTX(load_boot_settings(settings_path),
                     "reading the newest deployment's "
                     "boot settings");
    in.console = s.console;
    in.menu_timeout_s = s.menu_timeout_s;
  }
  in.boot_prefix = TRY(boot_prefix(sysroot));
  return in;
}

Result<void> generate_grub_cfg(const std::string& output) {
  auto in = TRY(gather_grub_cfg_input(output));
  return sys::write_file_atomic(output, render_grub_cfg(in));
}

}  // namespace keel::bootloader
