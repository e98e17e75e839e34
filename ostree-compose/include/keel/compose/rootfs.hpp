// Shaping an extracted Debian tree into what OSTree deploys: merged /usr,
// kernel under /usr/lib/modules, /etc as /usr/etc, empty /var.
#pragma once

#include <string>

#include "keel/common/error.hpp"
#include "keel/compose/image_def.hpp"

namespace keel::compose {

// /bin, /sbin, /lib, /lib64 become symlinks into /usr (Debian's merged-/usr layout;
// the extract variant skips the usrmerge that maintainer scripts would do).
Result<void> merge_usr(const std::string& rootfs);

// Moves /boot/vmlinuz-<kver> and config-<kver> to /usr/lib/modules/<kver>/ where
// OSTree looks for them, empties /boot, runs depmod. Returns <kver>.
Result<std::string> place_kernel(const std::string& rootfs);

// Writes /usr/lib/os-release (ID, VERSION_ID, PRETTY_NAME: OSTree requires them).
Result<void> write_os_release(const std::string& rootfs, const ImageDef& def);
// [host]: /etc/hostname (before /etc becomes /usr/etc) and /usr/lib/sysctl.d.
Result<void> write_host_config(const std::string& rootfs, const ImageDef& def);

// Moves /etc to /usr/etc and makes the top-level directories a deployment needs.
// /var content is dropped: OSTree does not deploy it, the host populates it at boot.
Result<void> finalize_layout(const std::string& rootfs);

// Copies a file, creating parent directories, with the given mode.
Result<void> install_file(const std::string& from, const std::string& to, unsigned mode);

}  // namespace keel::compose
