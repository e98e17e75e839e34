// The whole compose: image definition in, OSTree commit and disk images out.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "keel/common/error.hpp"

namespace keel::compose {

struct ComposeOptions {
  std::string definition;    // images/default.toml
  std::string out_dir;       // replaced atomically on success
  std::string repo;          // OSTree repository (archive mode), created if missing
  std::string cache_dir;     // .deb download cache
  std::string work_dir;      // scratch space, removed afterwards
  std::string binaries;      // directory holding keel-init and keel-runtime
  std::string flavours_dir;  // kernel/flavours
  std::string flavour;       // if set, replaces [kernel] flavour; variant "<name>-<flavour>"
  std::string hwcompat_dir;  // hardware-compat: policy.toml and facts/<flavour>.lock
  // If set, a revision of --repo (checksum, ref, "ref^") deployed before the new commit:
  // the disk then holds two deployments, the new one the default and this one its
  // fallback, as on a host after one update (docs/BOOT.md).
  std::string previous;
  std::string update_key;  // a public key file the image's hosts trust for updates, on
                           // top of [update] keys (keel-compose build --update-key)
  std::function<void(const std::string&)> warn;  // warnings (the compose goes on)
};

struct ComposeResult {
  std::string branch;
  std::string checksum;
  std::string version;
  std::string out_dir;
  std::string disk_raw, disk_qcow2, kernel, initramfs;
  std::string cmdline;
  uint64_t disk_raw_bytes = 0;
  std::vector<std::string> deployments;  // "<csum>.<serial>", the default first
};

// Called at the start of each step: step number, step count, what it does.
using ProgressFn = std::function<void(int, int, const std::string&)>;

Result<ComposeResult> compose(const ComposeOptions& opts, const ProgressFn& progress);

// The file a compose holds an exclusive flock on while it uses the download cache
// `cache_dir`: beside the directory, not in it. mmdebstrap's sync-in copies the cache
// into the chroot and its sync-out copies it back, and a lock file inside would be
// replaced by a new one (a new inode) that the next compose then locks while the
// previous holder still holds the old one.
std::string cache_lock_path(const std::string& cache_dir);

// The QEMU command that boots the result with a serial console (TCG or KVM) by direct
// kernel boot: the default deployment's kernel, initramfs and command line.
std::string qemu_command(const ComposeResult& r, const std::string& accel);
// The QEMU command that boots the disk through UEFI firmware (OVMF) and GRUB, as a
// machine would; `vars` is a writable copy of OVMF_VARS.fd.
std::string qemu_uefi_command(const ComposeResult& r, const std::string& accel,
                              const std::string& vars);

}  // namespace keel::compose
