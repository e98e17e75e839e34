// Which shared libraries a binary needs, resolved inside a root tree (not the
// build host): the initramfs must carry keel-init's whole closure.
#pragma once

#include <string>
#include <vector>

#include "keel/common/error.hpp"

namespace keel::compose {

struct ElfInfo {
  std::string interpreter;          // PT_INTERP, e.g. /lib64/ld-linux-x86-64.so.2
  std::vector<std::string> needed;  // DT_NEEDED sonames
};

Result<ElfInfo> read_elf_info(const std::string& path);

// Absolute in-tree paths (e.g. /usr/lib/x86_64-linux-gnu/libc.so.6) of every
// library `binary` needs, transitively, plus its interpreter. Fails naming the
// missing soname if the tree lacks one.
Result<std::vector<std::string>> library_closure(const std::string& rootfs,
                                                 const std::string& binary);

}  // namespace keel::compose
