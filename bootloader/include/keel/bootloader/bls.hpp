// Boot Loader Specification entries as OSTree writes them (boot/loader.N/entries/
// ostree-<N>-<os>.conf; ostree-sysroot-deploy.c install_deployment_kernel()), read the
// way libostree's own parser reads them (ostree-bootconfig-parser.c): one "key value"
// per line, split at the first space or tab, lines starting with '#' ignored.
// https://uapi-group.org/specifications/specs/boot_loader_specification/
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "keel/common/error.hpp"

namespace keel::bootloader {

struct BlsEntry {
  std::string path;     // the .conf file, for messages
  std::string title;    // "Keel 0.1.0 (ostree:0)"
  std::string version;  // OSTree's entry number: n_deployments - index, so higher is newer
  std::string kernel;   // "linux": the kernel, relative to the filesystem holding /boot
  std::vector<std::string> initrds;  // first the OSTree initramfs, then overlay initrds
  std::string options;               // kernel command line, ostree= included
  std::string devicetree;
};

// One entry file's text. `path` only names it in errors ("path:line: ...").
// Unknown keys are ignored (the spec allows more keys than a loader uses); a line
// without a value, a duplicate key, or an entry without linux or options is an error.
Result<BlsEntry> parse_bls_entry(std::string_view text, const std::string& path);

// Every *.conf in `dir`, newest first: by `version` as OSTree numbers them (a larger
// number is a newer deployment: ostree admin status's order, and ostree-grub-generator's
// `ls -v -r`). An entry whose version is not a number is an error naming its file.
Result<std::vector<BlsEntry>> load_bls_entries(const std::string& dir);

// The value of `key`= in a kernel command line ("ostree" -> "/ostree/boot.1/...").
std::string kernel_arg(std::string_view options, std::string_view key);

}  // namespace keel::bootloader
