// Assembling a container rootfs as an overlayfs mount (kernel
// Documentation/filesystems/overlayfs.rst): read-only image layers from the layer
// store below, a per-container upper directory on top.
#pragma once

#include <string>
#include <vector>

#include "keel/common/error.hpp"

namespace keel::runtime {

// Whether the kernel knows overlayfs (/proc/filesystems). If not, loads
// /usr/lib/modules/$(uname -r)/kernel/fs/overlayfs/overlay.ko with finit_module(2):
// Keel's image keeps the module but has no modprobe. EEXIST counts as loaded.
Result<void> ensure_overlayfs();

// The mount(2) data for an overlay of layer_dirs (bottom first) under upper/work.
// lowerdir lists the topmost layer first (overlayfs.rst "Multiple lower layers").
// When the paths do not fit the one page mount(2) copies, each layer is named as
// /proc/self/fd/N instead, N from layer_fds (same order as layer_dirs).
Result<std::string> overlay_mount_data(const std::vector<std::string>& layer_dirs,
                                       const std::vector<int>& layer_fds, const std::string& upper,
                                       const std::string& work);

// An overlay mounted at a target in the caller's mount namespace, lazily unmounted
// (MNT_DETACH) when the object goes away, on every path out of the caller.
class OverlayMount {
 public:
  // Creates nothing: upper and work must exist, be empty and share a filesystem.
  // mount_label: SELinux context= for every file of the overlay (empty: none).
  static Result<OverlayMount> mount(const std::vector<std::string>& layer_dirs,
                                    const std::string& upper, const std::string& work,
                                    const std::string& target, const std::string& mount_label = {});
  OverlayMount(OverlayMount&& o) noexcept : m_target(std::move(o.m_target)) { o.m_target.clear(); }
  OverlayMount(const OverlayMount&) = delete;
  OverlayMount& operator=(const OverlayMount&) = delete;
  ~OverlayMount();

 private:
  explicit OverlayMount(std::string target) : m_target(std::move(target)) {}
  std::string m_target;
};

}  // namespace keel::runtime
