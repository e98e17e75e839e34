// overlayfs rootfs mounts; see overlay.hpp.
#include "overlay.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>

#include "keel/common/sys.hpp"
#include "selinux_label.hpp"

namespace keel::runtime {
namespace {

// finit_module(2) flag: the kernel decompresses the module itself (Linux >= 5.17).
constexpr int kModuleInitCompressedFile = 4;

// mount(2) copies at most one page of data.
constexpr size_t kMaxMountData = 4096;

bool overlay_registered() {
  auto fs = sys::read_file("/proc/filesystems");
  return fs && fs->find("\toverlay\n") != std::string::npos;
}

Result<void> load_overlay_module() {
  utsname u;
  if (::uname(&u) < 0) return fail_errno("uname");
  std::string base =
      std::string("/usr/lib/modules/") + u.release + "/kernel/fs/overlayfs/overlay.ko";
  for (const char* ext : {"", ".xz", ".zst"}) {
    std::string path = base + ext;
    auto fd = sys::open(path, O_RDONLY);
    if (!fd) continue;
    int flags = *ext ? kModuleInitCompressedFile : 0;
    if (::syscall(SYS_finit_module, fd->get(), "", flags) == 0 || errno == EEXIST) return {};
    return fail_errno("finit_module " + path);
  }
  return fail_msg("overlayfs is not in /proc/filesystems and there is no " + base);
}

// Characters that would split the option string or the lowerdir list.
bool bad_in_option(const std::string& path) {
  return path.find_first_of(",:\\") != std::string::npos;
}

}  // namespace

Result<void> ensure_overlayfs() {
  if (overlay_registered()) return {};
  TRY(load_overlay_module());
  if (!overlay_registered()) return fail_msg("overlay.ko loaded but overlay is not registered");
  return {};
}

Result<std::string> overlay_mount_data(const std::vector<std::string>& layer_dirs,
                                       const std::vector<int>& layer_fds, const std::string& upper,
                                       const std::string& work) {
  if (layer_dirs.empty()) return fail_msg("an overlay needs at least one lower layer");
  for (const auto* p : {&upper, &work})
    if (bad_in_option(*p)) return fail_msg("path '" + *p + "' has ',', ':' or '\\'");
  // index=off, xino=off: defaults on Debian's 6.1 but set explicitly, so a kernel
  // built otherwise neither wants an index dir nor warns that upper (tmpfs /run) and
  // lower (ext4 /var) have different st_dev ranges.
  std::string tail = ",upperdir=" + upper + ",workdir=" + work + ",index=off,xino=off";
  auto build = [&](auto name) {
    std::string lower;
    for (size_t i = layer_dirs.size(); i-- > 0;) lower += (lower.empty() ? "" : ":") + name(i);
    return "lowerdir=" + lower + tail;
  };
  bool plain_ok = true;
  for (const auto& d : layer_dirs) plain_ok = plain_ok && !bad_in_option(d);
  if (plain_ok) {
    auto data = build([&](size_t i) { return layer_dirs[i]; });
    if (data.size() < kMaxMountData) return data;
  }
  if (layer_fds.size() != layer_dirs.size()) return fail_msg("overlay: no fds for the layers");
  auto data = build([&](size_t i) { return "/proc/self/fd/" + std::to_string(layer_fds[i]); });
  if (data.size() >= kMaxMountData)
    return fail_msg("overlay mount options are " + std::to_string(data.size()) +
                    " bytes, more than the one page mount(2) takes");
  return data;
}

Result<OverlayMount> OverlayMount::mount(const std::vector<std::string>& layer_dirs,
                                         const std::string& upper, const std::string& work,
                                         const std::string& target,
                                         const std::string& mount_label) {
  // Held open only for the mount(2) call: overlayfs resolves the paths once.
  std::vector<UniqueFd> fds;
  std::vector<int> raw;
  for (const auto& d : layer_dirs) {
    fds.push_back(TRY(sys::open(d, O_PATH | O_DIRECTORY)));
    raw.push_back(fds.back().get());
  }
  auto data = TRY(overlay_mount_data(layer_dirs, raw, upper, work));
  // context= labels the whole overlay as the container's (the layers below keep
  // layer_t, shared read-only); the kernel checks it against the loaded policy.
  data = data_with_mount_label(data, mount_label);
  TRY_CTX(sys::mount("overlay", target, "overlay", 0, data.c_str()),
          "mounting the overlay rootfs (see dmesg for overlayfs' reason)");
  return OverlayMount(target);
}

OverlayMount::~OverlayMount() {
  if (!m_target.empty()) ::umount2(m_target.c_str(), MNT_DETACH);
}

}  // namespace keel::runtime
