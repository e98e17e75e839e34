// The live system (kernel argument keel.live): the root is not on a disk but in the
// initramfs. `keel-compose live` (docs/INSTALL.md "Live ISO and PXE") appends a second
// cpio archive to the initramfs whose /keel-live holds the image's root file system
// (root.ext4) and the disk image to install (disk.raw.zst, with its SHA-256). Booted
// from an ISO or over PXE, the kernel unpacks both archives into RAM, as Fedora CoreOS's
// live PXE rootfs.img works.
#pragma once

#include <optional>
#include <string>

#include "keel/common/error.hpp"
#include "keel/init/cmdline.hpp"

namespace keel::init {

inline constexpr const char* kLiveDir = "/keel-live";             // in the initramfs
inline constexpr const char* kLiveRoot = "/keel-live/root.ext4";  // becomes /sysroot
inline constexpr const char* kLiveRunDir = "/run/keel-live";  // the other files, in the live system
inline constexpr const char* kLiveImage = "disk.raw.zst";
inline constexpr const char* kLiveImageSha256 = "disk.raw.sha256";

// Initramfs stage: attaches `image` to a free loop device (LOOP_CONFIGURE, loop(4)) and
// returns its /dev path. The loop module must be loaded.
Result<std::string> attach_loop(const std::string& image);

// Initramfs stage, before switch_root: binds each file of /keel-live but the root image
// onto /run/keel-live/<name>. /run moves into the new root, and the binds keep the files
// alive when switch_root deletes the initramfs's contents.
Result<void> keep_live_files();

// Real-root stage, with keel.live and keel.install.to: runs keel-install onto that disk
// with the image the live media carries, its output on the console. Returns
// keel.install.reboot/poweroff's action after a good install, nothing otherwise (the
// live system then runs on, so that an operator can look at what went wrong).
std::optional<ShutdownAction> run_live_install(const KernelCmdline& cmd);

}  // namespace keel::init
