// The whole compose: image definition in, OSTree commit and disk images out.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

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
  std::string update_key;    // a public key file the image's hosts trust for updates, on
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
};

// Called at the start of each step: step number, step count, what it does.
using ProgressFn = std::function<void(int, int, const std::string&)>;

Result<ComposeResult> compose(const ComposeOptions& opts, const ProgressFn& progress);

// The QEMU command that boots the result with a serial console (TCG or KVM).
std::string qemu_command(const ComposeResult& r, const std::string& accel);

}  // namespace keel::compose
