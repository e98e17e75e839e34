#include "keel/compose/container_images.hpp"

#include <fmt/format.h>

#include <filesystem>

#include "keel/common/sys.hpp"
#include "keel/compose/packages.hpp"
#include "keel/compose/process.hpp"
#include "keel/runtime/oci_image.hpp"

namespace keel::compose {

namespace fs = std::filesystem;

namespace {

// busybox-static ships only /bin/busybox; its applets are links we make here,
// using the applet list the binary itself reports (it is static, so it runs here).
Result<void> add_busybox_applets(const std::string& rootfs) {
  std::string bb = rootfs + "/bin/busybox";
  if (!fs::exists(bb))
    return fail_msg("busybox_applets = true, but the packages installed no /bin/busybox");
  auto list = TRY(run_capture({bb, "--list"}));
  size_t pos = 0;
  while (pos < list.size()) {
    size_t nl = list.find('\n', pos);
    if (nl == std::string::npos) nl = list.size();
    std::string applet = list.substr(pos, nl - pos);
    pos = nl + 1;
    if (applet.empty() || applet.find('/') != std::string::npos) continue;
    std::string link = rootfs + "/bin/" + applet;
    if (!fs::exists(fs::symlink_status(link))) TRY(sys::symlink("busybox", link));
  }
  return {};
}

void strip_for_container(const std::string& rootfs) {
  std::error_code ec;
  for (const char* p : {"var/cache", "var/lib/apt", "var/log", "etc/apt", "dev", "boot"})
    fs::remove_all(fs::path(rootfs) / p, ec);
  fs::create_directories(fs::path(rootfs) / "dev", ec);
  for (const char* d : {"proc", "sys", "tmp", "etc"})
    fs::create_directories(fs::path(rootfs) / d, ec);
}

// The definition's own files, after the packages: they replace what a package put there.
Result<void> add_image_files(const OciImageSource& img, const std::string& rootfs) {
  for (const auto& f : img.files) {
    std::error_code ec;
    auto perms = fs::status(f.source, ec).permissions();
    if (ec) return fail(Error::from_errno("stat " + f.source, ec.value()));
    bool exec = (perms & fs::perms::owner_exec) != fs::perms::none;
    std::string dst = rootfs + f.target;
    TRY(sys::mkdir_p(fs::path(dst).parent_path().string()));
    auto text = TRY(sys::read_file(f.source));
    TRY_CTX(sys::write_file_atomic(dst, text, exec ? 0755 : 0644),
            fmt::format("[images.{}] files: {}", img.name, f.target));
  }
  return {};
}

}  // namespace

Result<void> build_container_image(const OciImageSource& img, const ImageDef& def,
                                   const std::string& work_dir, const std::string& cache_dir,
                                   const std::string& log_path, const std::string& layout_dir) {
  std::string rootfs = fmt::format("{}/image-{}", work_dir, img.name);
  PackageRequest req{def.suite, def.mirror, img.packages, {}};
  TRY(install_packages(req, rootfs, cache_dir, log_path));
  if (img.busybox_applets) TRY(add_busybox_applets(rootfs));
  TRY(add_image_files(img, rootfs));
  strip_for_container(rootfs);
  runtime::ImageConfig cfg;
  cfg.entrypoint = img.entrypoint;
  cfg.cmd = img.cmd;
  cfg.env = img.env;
  if (cfg.env.empty())
    cfg.env.push_back("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  cfg.working_dir = "/";
  TRY(sys::mkdir_p(fs::path(layout_dir).parent_path().string()));
  TRY(runtime::write_oci_layout(rootfs, cfg, layout_dir, "latest"));
  return remove_tree(rootfs);
}

}  // namespace keel::compose
