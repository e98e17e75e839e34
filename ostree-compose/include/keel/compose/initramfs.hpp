// Keel's own initramfs: a cpio (newc) archive written with libarchive.
#pragma once

#include <string>
#include <vector>

#include "keel/common/error.hpp"

namespace keel::compose {

struct CpioEntry {
  enum class Kind { file, dir, symlink, char_device, text };
  Kind kind;
  std::string path;    // inside the archive, no leading '/'
  std::string source;  // file: host path to copy; symlink: target; text: the content
  unsigned mode = 0755;
  unsigned dev_major = 0, dev_minor = 0;
};

// Writes the entries (parents must come before children) as gzip-compressed
// newc cpio to `out_path`, atomically. Timestamps are zero for reproducibility.
Result<void> write_cpio(const std::string& out_path, const std::vector<CpioEntry>& entries);

}  // namespace keel::compose
