// Kernel modules the initramfs loads before it looks for the root filesystem.
// /etc/keel/initramfs-modules lists one path per line relative to
// /usr/lib/modules/<kver>/, dependencies first (docs/ARCHITECTURE.md "The initramfs").
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "keel/common/error.hpp"

namespace keel::init {

// Blank lines and '#' comments are skipped; surrounding whitespace is trimmed.
std::vector<std::string> parse_module_list(std::string_view text);
// finit_module(2) on the file; EEXIST (already loaded or built in) is success.
// Compressed modules (.xz/.zst/.gz) use MODULE_INIT_COMPRESSED_FILE (Linux >= 5.17).
Result<void> load_module(const std::string& path);

}  // namespace keel::init
