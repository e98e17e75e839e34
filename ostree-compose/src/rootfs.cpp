#include "keel/compose/rootfs.hpp"

#include <fmt/format.h>

#include <filesystem>

#include "keel/common/sys.hpp"
#include "keel/compose/process.hpp"

namespace keel::compose {

namespace fs = std::filesystem;

namespace {

std::unexpected<Error> fs_error(const std::error_code& ec, std::string_view what) {
  return fail(Error::from_errno(what, ec.value()));
}

// Moves everything in `from` into `to`. Where both have a file, /usr's copy wins
// (that is what usrmerge does for identical files; Debian has no real conflicts).
Result<void> merge_dir(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::create_directories(to, ec);
  for (const auto& e : fs::directory_iterator(from, ec)) {
    fs::path dst = to / e.path().filename();
    auto dst_st = fs::symlink_status(dst, ec);
    if (fs::is_directory(e.symlink_status()) && fs::is_directory(dst_st)) {
      TRY(merge_dir(e.path(), dst));
      continue;
    }
    if (fs::exists(dst_st)) continue;
    fs::rename(e.path(), dst, ec);
    if (ec) return fs_error(ec, fmt::format("moving {} into /usr", e.path().string()));
  }
  if (ec) return fs_error(ec, fmt::format("reading {}", from.string()));
  fs::remove_all(from, ec);
  return {};
}

}  // namespace

Result<void> merge_usr(const std::string& rootfs) {
  for (const char* d : {"bin", "sbin", "lib", "lib64"}) {
    fs::path top = fs::path(rootfs) / d;
    std::error_code ec;
    auto st = fs::symlink_status(top, ec);
    if (fs::is_symlink(st)) continue;
    if (fs::is_directory(st)) TRY(merge_dir(top, fs::path(rootfs) / "usr" / d));
    fs::create_directories(fs::path(rootfs) / "usr" / d, ec);
    TRY(sys::symlink(fmt::format("usr/{}", d), top.string()));
  }
  return {};
}

Result<std::string> place_kernel(const std::string& rootfs) {
  fs::path boot = fs::path(rootfs) / "boot";
  std::string kver;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(boot, ec)) {
    std::string name = e.path().filename().string();
    if (name.starts_with("vmlinuz-")) kver = name.substr(8);
  }
  if (kver.empty())
    return fail_msg(
        fmt::format("no kernel found in {} (is the flavour's package installed?)", boot.string()));
  fs::path moddir = fs::path(rootfs) / "usr/lib/modules" / kver;
  if (!fs::is_directory(moddir))
    return fail_msg(fmt::format("kernel {} has no modules directory {}", kver, moddir.string()));
  fs::rename(boot / ("vmlinuz-" + kver), moddir / "vmlinuz", ec);
  if (ec) return fs_error(ec, "moving the kernel");
  // No /proc/config.gz in Debian kernels: ship the config where tools look for it.
  fs::rename(boot / ("config-" + kver), moddir / "config", ec);
  fs::remove_all(boot, ec);
  fs::create_directories(boot, ec);
  TRY_CTX(run_command({"depmod", "-b", rootfs, kver}), "depmod");
  return kver;
}

Result<void> write_os_release(const std::string& rootfs, const ImageDef& def) {
  std::string text = fmt::format(
      "NAME=\"Keel\"\nID={}\nVERSION=\"{}\"\nVERSION_ID=\"{}\"\nPRETTY_NAME=\"{}\"\n"
      "VARIANT_ID={}\nHOME_URL=\"https://keel.invalid/\"\n",
      def.os_name, def.os_version, def.os_version, def.pretty_name, def.variant);
  fs::path usrlib = fs::path(rootfs) / "usr/lib";
  std::error_code ec;
  fs::remove(usrlib / "os-release", ec);
  TRY(sys::write_file_atomic((usrlib / "os-release").string(), text));
  fs::path etc_rel = fs::path(rootfs) / "etc/os-release";
  fs::remove(etc_rel, ec);
  return sys::symlink("../usr/lib/os-release", etc_rel.string());
}

Result<void> write_host_config(const std::string& rootfs, const ImageDef& def) {
  fs::path root(rootfs);
  if (!def.hostname.empty()) {
    std::error_code ec;
    fs::remove(root / "etc/hostname", ec);  // mmdebstrap copies the build host's
    TRY(sys::write_file_atomic((root / "etc/hostname").string(), def.hostname + "\n"));
  }
  if (def.sysctl.empty()) return {};
  std::string text = fmt::format("# From {} [host.sysctl] (keel-compose).\n", def.path);
  for (const auto& [k, v] : def.sysctl) text += fmt::format("{} = {}\n", k, v);
  TRY(sys::mkdir_p((root / "usr/lib/sysctl.d").string(), 0755));
  return sys::write_file_atomic((root / "usr/lib/sysctl.d/50-keel-image.conf").string(), text);
}

Result<void> finalize_layout(const std::string& rootfs) {
  fs::path root(rootfs);
  std::error_code ec;
  // OSTree forbids both /etc and /usr/etc; the image's defaults live in /usr/etc.
  fs::remove_all(root / "usr/etc", ec);
  fs::rename(root / "etc", root / "usr/etc", ec);
  if (ec) return fs_error(ec, "moving /etc to /usr/etc");
  // /var is not deployed by OSTree (the host populates it at boot) and /dev is a
  // devtmpfs at runtime; mmdebstrap's device nodes cannot be committed anyway.
  fs::remove_all(root / "var", ec);
  fs::remove_all(root / "dev", ec);
  for (const char* d : {"var", "proc", "sys", "dev", "run", "tmp", "sysroot", "boot", "mnt", "root",
                        "usr/lib/keel/containers", "usr/etc/keel/containers"})
    fs::create_directories(root / d, ec);
  fs::permissions(root / "tmp", fs::perms::all | fs::perms::sticky_bit, ec);
  fs::permissions(root / "root", fs::perms::owner_all, ec);
  // The booted system reaches the repository through /ostree, as on Fedora CoreOS.
  fs::remove(root / "ostree", ec);
  TRY(sys::symlink("sysroot/ostree", (root / "ostree").string()));
  return {};
}

Result<void> install_file(const std::string& from, const std::string& to, unsigned mode) {
  std::error_code ec;
  fs::create_directories(fs::path(to).parent_path(), ec);
  fs::copy_file(from, to, fs::copy_options::overwrite_existing, ec);
  if (ec) return fs_error(ec, fmt::format("copying {} to {}", from, to));
  fs::permissions(to, static_cast<fs::perms>(mode), ec);
  if (ec) return fs_error(ec, fmt::format("chmod {}", to));
  return {};
}

}  // namespace keel::compose
